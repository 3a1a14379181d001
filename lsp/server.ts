// `dslc lsp`: a Language Server Protocol server over stdio. A thin adapter: document store → the compiler's
// front end → LSP shapes. It has no parser or checker of its own.
import {
  createConnection,
  ProposedFeatures,
  TextDocuments,
  TextDocumentSyncKind,
  type CodeActionParams,
  type CompletionParams,
  type Connection,
  type DefinitionParams,
  type DocumentFormattingParams,
  type DocumentSymbolParams,
  type HoverParams,
  type InitializeParams,
  type InitializeResult,
  type PrepareRenameParams,
  type ReferenceParams,
  type RenameParams,
  type TextDocumentChangeEvent,
} from "vscode-languageserver/node.js";
import { TextDocument } from "vscode-languageserver-textdocument";
import { format } from "../grammar/format/format.js";
import { VERSION } from "../cli/version.js";
import { AnalysisCache } from "./analysis.js";
import { codeActions } from "./actions.js";
import { complete } from "./completion.js";
import { toLspDiagnostic } from "./diagnostics.js";
import { Guard } from "./guard.js";
import { hover } from "./hover.js";
import { definition, documentSymbols, prepareRename, references, rename } from "./navigation.js";

export interface ServerOptions {
  /** Delay after the last keystroke before diagnostics are computed (ms). */
  debounceMs: number;
}

/**
 * `initializationOptions` a client may send. `testFaults` exists only for the tests of the server's own
 * robustness: `["check"]` makes every debounced check throw, as a bug in the front end would, since no input
 * is known to make the real one throw.
 */
interface InitializationOptions {
  debounceMs?: number;
  testFaults?: string[];
}

export function startServer(connection: Connection = createConnection(ProposedFeatures.all), options: ServerOptions = { debounceMs: 150 }): Connection {
  const documents = new TextDocuments(TextDocument);
  const cache = new AnalysisCache();
  const timers = new Map<string, NodeJS.Timeout>();
  const guard = new Guard(connection);
  let debounceMs = options.debounceMs;
  let faults = new Set<string>();

  const publish = (document: TextDocument) => {
    if (faults.has("check")) throw new Error("fault injected by initializationOptions.testFaults");
    const analysis = cache.get(document);
    connection.sendDiagnostics({ uri: document.uri, version: document.version, diagnostics: analysis.diagnostics.map((d) => toLspDiagnostic(document, d)) });
  };
  // A failed check publishes nothing for that version: the editor keeps showing the previous diagnostics.
  const schedule = (document: TextDocument, delay: number) => {
    clearTimeout(timers.get(document.uri));
    timers.set(document.uri, setTimeout(() => {
      timers.delete(document.uri);
      const current = documents.get(document.uri);
      if (current) guard.background(`checking ${current.uri} (version ${current.version})`, () => publish(current));
    }, delay));
  };

  connection.onInitialize(guard.handler("initialize", (params: InitializeParams): InitializeResult => {
    const init = (params.initializationOptions ?? {}) as InitializationOptions;
    if (typeof init.debounceMs === "number" && init.debounceMs >= 0) debounceMs = init.debounceMs;
    if (Array.isArray(init.testFaults)) faults = new Set(init.testFaults);
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        hoverProvider: true,
        completionProvider: { triggerCharacters: [">", "(", ",", ":", " ", "="] },
        definitionProvider: true,
        referencesProvider: true,
        documentSymbolProvider: true,
        documentFormattingProvider: true,
        renameProvider: { prepareProvider: true },
        codeActionProvider: { codeActionKinds: ["quickfix"] },
      },
      serverInfo: { name: "dslc", version: VERSION },
    };
  }));

  documents.onDidOpen(guard.handler("textDocument/didOpen", (event: TextDocumentChangeEvent<TextDocument>) => schedule(event.document, 0)));
  documents.onDidChangeContent(guard.handler("textDocument/didChange", (event: TextDocumentChangeEvent<TextDocument>) => schedule(event.document, debounceMs)));
  documents.onDidClose(
    guard.handler("textDocument/didClose", (event: TextDocumentChangeEvent<TextDocument>) => {
      clearTimeout(timers.get(event.document.uri));
      cache.forget(event.document.uri);
      connection.sendDiagnostics({ uri: event.document.uri, diagnostics: [] });
    }),
  );

  const withDocument = <T>(uri: string, fallback: T, handler: (document: TextDocument) => T): T => {
    const document = documents.get(uri);
    return document ? handler(document) : fallback;
  };

  connection.onHover(guard.handler("textDocument/hover", (p: HoverParams) => withDocument(p.textDocument.uri, null, (d) => hover(d, cache.get(d), d.offsetAt(p.position)))));
  connection.onCompletion(guard.handler("textDocument/completion", (p: CompletionParams) => withDocument(p.textDocument.uri, [], (d) => complete(cache.get(d), d.getText(), d.offsetAt(p.position)))));
  connection.onDefinition(guard.handler("textDocument/definition", (p: DefinitionParams) => withDocument(p.textDocument.uri, [], (d) => definition(d, cache.get(d), d.offsetAt(p.position)))));
  connection.onReferences(guard.handler("textDocument/references", (p: ReferenceParams) => withDocument(p.textDocument.uri, [], (d) => references(d, cache.get(d), d.offsetAt(p.position), p.context.includeDeclaration))));
  connection.onDocumentSymbol(guard.handler("textDocument/documentSymbol", (p: DocumentSymbolParams) => withDocument(p.textDocument.uri, [], (d) => documentSymbols(d, cache.get(d)))));
  connection.onPrepareRename(guard.handler("textDocument/prepareRename", (p: PrepareRenameParams) => withDocument(p.textDocument.uri, null, (d) => prepareRename(d, cache.get(d), d.offsetAt(p.position)))));
  connection.onRenameRequest(guard.handler("textDocument/rename", (p: RenameParams) => withDocument(p.textDocument.uri, null, (d) => rename(d, cache.get(d), d.offsetAt(p.position), p.newName))));
  connection.onCodeAction(guard.handler("textDocument/codeAction", (p: CodeActionParams) => withDocument(p.textDocument.uri, [], (d) => codeActions(d, p.context.diagnostics))));
  connection.onDocumentFormatting(
    guard.handler("textDocument/formatting", (p: DocumentFormattingParams) =>
      withDocument(p.textDocument.uri, [], (d) => {
        const analysis = cache.get(d);
        // Like `dslc fmt`, never reformat a file with syntax errors.
        if (analysis.syntaxErrors > 0) return [];
        const text = d.getText();
        const formatted = format(analysis.ast, text);
        return formatted === text ? [] : [{ range: { start: d.positionAt(0), end: d.positionAt(text.length) }, newText: formatted }];
      }),
    ),
  );

  documents.listen(connection);
  connection.listen();
  return connection;
}
