// `dslc lsp [--stdio]`: hands stdin/stdout to the language server; resolves when the editor ends it.
import { createConnection, ProposedFeatures } from "vscode-languageserver/node.js";
import { startServer } from "../../lsp/server.js";

export function lspCommand(): Promise<number> {
  // vscode-languageserver reads `--stdio` from process.argv to choose its transport.
  if (!process.argv.includes("--stdio")) process.argv.push("--stdio");
  const connection = createConnection(ProposedFeatures.all, process.stdin, process.stdout);
  startServer(connection);
  return new Promise((resolve) => connection.onExit(() => resolve(0)));
}
