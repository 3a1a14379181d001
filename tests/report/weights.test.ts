// First-layer weights in the report: a tiny conv net and a dense net on 1×6×6 images. The PNG embedded in
// the HTML is decoded and each unit's tile compared, weight by weight, with the final weights read back
// from the backend, min–max scaled per unit: this checks the layer found, the reshape (row-major, kernel
// rows down the image) and the scaling. Tolerance: ±1 grey level (the encoder rounds once, so does this).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compileProgram } from "../../compiler/compile.js";
import { cpuBackend } from "../../runtime/cpu/train.js";
import { encodeNpy } from "../../runtime/data/npy.js";
import { trainWithReport } from "../../runtime/report/report.js";
import { savedValues, tileGrid } from "../../runtime/report/weights.js";
import { trainWebGpu } from "../../cli/backends.js";
import { decodePng, sections } from "./parse.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dslc-report-weights-"));
afterAll(() => fs.rmSync(dir, { recursive: true }));
// 40 images 1×6×6 of two classes: class 1 has a bright left half, plus a deterministic texture
// (as tests/data/training-images.test.ts makes them).
const count = 40;
const pixels = Array.from({ length: count * 36 }, (_, k) => {
  const i = Math.floor(k / 36), x = k % 6;
  return ((i % 2 === 1 && x < 3 ? 150 : 40) + ((k * 37) % 60)) & 0xff;
});
fs.writeFileSync(path.join(dir, "x.npy"), encodeNpy(pixels, [count, 1, 6, 6], "|u1"));
fs.writeFileSync(path.join(dir, "y.npy"), encodeNpy(Array.from({ length: count }, (_, i) => i % 2), [count], "<i8"));

async function reportOf(body: string, name: string) {
  const text = `model M(x: f32[N, 1, 6, 6]) -> f32[N, 2] {\n  return ${body}\n}\ntrain {\n  data = npy(x: "x.npy", y: "y.npy", scale: 1/255) |> split(val: 0.25)\n  loss = cross_entropy()\n  optimizer = sgd(lr: 0.05, momentum: 0.9)\n  epochs 3\n  batch 10\n  seed 5\n}\n`;
  fs.writeFileSync(path.join(dir, `${name}.dl`), text);
  const result = compileProgram(text, path.join(dir, `${name}.dl`));
  expect(result.diagnostics.filter((d) => d.severity === "error").map((d) => d.message)).toEqual([]);
  const program = result.program!;
  const backend = cpuBackend(program);
  const file = path.join(dir, `${name}.html`);
  await trainWithReport(program, backend, {}, { path: file });
  const section = sections(fs.readFileSync(file, "utf8")).get("weights")!;
  const uri = /<img [^>]*src="data:image\/png;base64,([^"]+)"/.exec(section)?.[1];
  expect(uri, "an inline PNG").toBeDefined();
  return { program, section, png: decodePng(Buffer.from(uri!, "base64")), weights: savedValues(await backend.saveWeights()) };
}

/** Checks every unit's tile against its weights: `weight(u, y, x)` is unit u's weight at image pixel (y, x). */
function expectTiles(png: ReturnType<typeof decodePng>, units: number, size: number, weight: (u: number, y: number, x: number) => number) {
  const grid = tileGrid(units, { channels: 1, height: size, width: size });
  expect([png.width, png.height, png.channels]).toEqual([grid.imgW, grid.imgH, 1]);
  for (let u = 0; u < units; u++) {
    const values = Array.from({ length: size * size }, (_, k) => weight(u, Math.floor(k / size), k % size));
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    const [x0, y0] = grid.origin(u, 0);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        // The centre of the weight's square in the enlarged tile.
        const px = x0 + x * grid.scale + Math.floor(grid.scale / 2);
        const py = y0 + y * grid.scale + Math.floor(grid.scale / 2);
        const expected = ((weight(u, y, x) - lo) / (hi - lo)) * 255;
        expect(Math.abs(png.pixels[py * png.width + px]! - expected), `unit ${u} at (${y}, ${x})`).toBeLessThanOrEqual(1);
      }
    }
  }
}

describe("first-layer weights in the report", () => {
  it("draws each 3×3 filter of the first conv2d as a grey tile", async () => {
    const { program, section, png, weights } = await reportOf("x |> conv2d(4, kernel: 3) |> relu |> flatten |> dense(2)", "conv");
    const conv = program.params.find((p) => p.shape.length === 4)!;
    expect(conv.shape).toEqual([4, 1, 3, 3]);
    expect(section).toContain(`<code>${conv.name}</code> (conv2d, 4 units`);
    const w = weights.get(conv.node)!;
    expectTiles(png, 4, 3, (u, y, x) => w[u * 9 + y * 3 + x]!);
  }, 60_000);

  it("draws each unit of a dense layer on the flattened image as the 6×6 image of its weights", async () => {
    const { program, section, png, weights } = await reportOf("x |> flatten |> dense(5) |> relu |> dense(2)", "dense");
    const first = program.params.find((p) => p.role === "weight" && p.shape[1] === 36)!;
    expect(first.shape).toEqual([5, 36]);
    expect(section).toContain(`<code>${first.name}</code> (dense, 5 units`);
    const w = weights.get(first.node)!;
    expectTiles(png, 5, 6, (u, y, x) => w[u * 36 + y * 6 + x]!);
  }, 60_000);

  it("reads the final weights from the WebGPU backend too (the same picture as the CPU's, to f32 rounding)", async () => {
    const body = "x |> conv2d(4, kernel: 3) |> relu |> flatten |> dense(2)";
    const cpu = await reportOf(body, "conv-cpu");
    const file = path.join(dir, "conv-webgpu.html");
    const program = compileProgram(fs.readFileSync(path.join(dir, "conv-cpu.dl"), "utf8"), path.join(dir, "conv-cpu.dl")).program!;
    await trainWebGpu(program, {}, {}, { path: file });
    const uri = /<img [^>]*src="data:image\/png;base64,([^"]+)"/.exec(sections(fs.readFileSync(file, "utf8")).get("weights")!)![1]!;
    const gpu = decodePng(Buffer.from(uri, "base64"));
    expect([gpu.width, gpu.height]).toEqual([cpu.png.width, cpu.png.height]);
    // Three epochs of f32 arithmetic in another order move a min–max scaled grey level by a few steps at most.
    let worst = 0;
    gpu.pixels.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - cpu.png.pixels[i]!))));
    expect(worst).toBeLessThanOrEqual(3);
  }, 120_000);

  it("draws nothing when the first layer does not read every pixel", async () => {
    const file = path.join(dir, "none.dl");
    const text = `model M(x: f32[N, 1, 6, 6]) -> f32[N, 2] {\n  return x |> maxpool(2) |> flatten |> dense(2)\n}\ntrain {\n  data = npy(x: "x.npy", y: "y.npy", scale: 1/255)\n  loss = cross_entropy()\n  optimizer = sgd(lr: 0.05)\n  epochs 1\n  batch 10\n}\n`;
    const program = compileProgram(text, file).program!;
    await trainWithReport(program, cpuBackend(program), {}, { path: path.join(dir, "none.html") });
    const section = sections(fs.readFileSync(path.join(dir, "none.html"), "utf8")).get("weights")!;
    expect(section).not.toContain("<img");
  }, 60_000);
});
