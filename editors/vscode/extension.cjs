// The VS Code side of dslc: starts `dslc lsp --stdio` and connects it to the editor. All language
// features live in the server; this file only decides how to start it.
const path = require("node:path");
const fs = require("node:fs");
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function serverOptions() {
  const configured = vscode.workspace.getConfiguration("dslc").get("serverCommand", []);
  if (configured.length > 0) {
    return { command: configured[0], args: configured.slice(1), transport: TransportKind.stdio };
  }
  // Inside the dslc repository (editors/vscode), use its built compiler.
  const bundled = path.resolve(__dirname, "..", "..", "bin", "dslc.js");
  if (fs.existsSync(bundled)) {
    return { command: process.execPath, args: [bundled, "lsp", "--stdio"], options: { env: { ...process.env, ELECTRON_RUN_AS_NODE: "1" } }, transport: TransportKind.stdio };
  }
  return { command: "dslc", args: ["lsp", "--stdio"], transport: TransportKind.stdio };
}

function activate(context) {
  client = new LanguageClient("dslc", "dslc language server", serverOptions(), {
    documentSelector: [{ scheme: "file", language: "dl" }, { scheme: "untitled", language: "dl" }],
  });
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
