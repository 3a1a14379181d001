// Diagnostics latency of the language server after a keystroke, on a generated 500-line model: the time from
// sending `didChange` to receiving `publishDiagnostics` for that version, measured over the real stdio
// JSON-RPC connection. The server's debounce is set to 0 here to measure the work itself; editors use the
// default 150 ms debounce on top. Prints median and p95; asserts nothing.
// Run: npm run build && npm run bench:lsp
import { performance } from "node:perf_hooks";
import { LspClient } from "../tests/helpers/lsp-client.js";
import { generateModel } from "./generate.js";

const KEYSTROKES = 200;
const text = generateModel(500);
const lines = text.split("\n");
const line = lines.findIndex((l) => l.includes("|> dense(width"));
const column = lines[line]!.indexOf("dense(width") + "dense(width".length;
const uri = "file:///bench/generated.dl";

const client = new LspClient();
await client.initialize(0);
await client.open(uri, text);
await client.diagnostics(uri, () => true, 1);

const times: number[] = [];
for (let version = 2; version < KEYSTROKES + 2; version++) {
  // Alternate typing a character (`widthx`, an error) and deleting it (clean again).
  const typing = version % 2 === 0;
  const change = typing
    ? { range: { start: { line, character: column }, end: { line, character: column } }, text: "x" }
    : { range: { start: { line, character: column }, end: { line, character: column + 1 } }, text: "" };
  const start = performance.now();
  await client.change(uri, version, [change]);
  const diagnostics = await client.diagnostics(uri, () => true, version);
  times.push(performance.now() - start);
  if (typing !== diagnostics.length > 0) throw new Error(`unexpected diagnostics at version ${version}: ${diagnostics.length}`);
}
await client.stop();

times.sort((a, b) => a - b);
const at = (q: number) => times[Math.min(times.length - 1, Math.floor(times.length * q))]!;
console.log(`model: ${lines.length - 1} lines; ${KEYSTROKES} keystrokes, each followed by its diagnostics`);
console.log(`keystroke → diagnostics: median ${at(0.5).toFixed(1)} ms, p95 ${at(0.95).toFixed(1)} ms, max ${times[times.length - 1]!.toFixed(1)} ms (debounce 0)`);
console.log("with the default 150 ms debounce, add 150 ms: diagnostics appear once typing pauses");
