// The extension's entry point, loaded with stand-ins for the `vscode` API and the language client: it must
// start this repository's `dslc lsp --stdio` for `.dl` documents, or the command the user configured.
import { createRequire } from "node:module";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

interface Started {
  id: string;
  server: { command: string; args: string[] };
  client: { documentSelector: { language: string }[] };
}

function loadExtension(configured: string[]): { started: Started[]; activate: () => unknown } {
  const require = createRequire(import.meta.url);
  const Module = require("node:module") as { _load: (request: string, parent: unknown, isMain: boolean) => unknown };
  const started: Started[] = [];
  const fakes: Record<string, unknown> = {
    vscode: { workspace: { getConfiguration: () => ({ get: () => configured }) } },
    "vscode-languageclient/node": {
      TransportKind: { stdio: 0 },
      LanguageClient: class {
        constructor(id: string, _name: string, server: Started["server"], client: Started["client"]) {
          started.push({ id, server, client });
        }
        start() {
          return Promise.resolve();
        }
      },
    },
  };
  const original = Module._load;
  Module._load = (request, parent, isMain) => (request in fakes ? fakes[request] : original(request, parent, isMain));
  try {
    const file = path.resolve("editors/vscode/extension.cjs");
    delete require.cache[file];
    const extension = require(file) as { activate: (context: { subscriptions: unknown[] }) => unknown };
    return { started, activate: () => extension.activate({ subscriptions: [] }) };
  } finally {
    Module._load = original;
  }
}

describe("VS Code extension", () => {
  it("starts the repository's dslc lsp --stdio for .dl documents", async () => {
    const { started, activate } = loadExtension([]);
    await activate();
    expect(started).toHaveLength(1);
    expect(started[0]!.server.command).toBe(process.execPath);
    expect(started[0]!.server.args).toEqual([path.resolve("bin/dslc.js"), "lsp", "--stdio"]);
    expect(started[0]!.client.documentSelector.map((s) => s.language)).toEqual(["dl", "dl"]);
  });

  it("uses the configured server command", async () => {
    const { started, activate } = loadExtension(["/opt/dslc", "lsp", "--stdio"]);
    await activate();
    expect(started[0]!.server).toMatchObject({ command: "/opt/dslc", args: ["lsp", "--stdio"] });
  });
});
