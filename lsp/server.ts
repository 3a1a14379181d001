// `dslc lsp`: a Language Server Protocol server over stdio. A thin adapter: document store → the compiler's
// front end → LSP shapes. It has no parser or checker of its own.
import {
  createConnection,
  ProposedFeatures,
  TextDocuments,
  TextDocumentSyncKind,
  type Connection,
  type InitializeResult,
} from "vscode-languageserver/node.js";
import { TextDocument } from "vscode-languageserver-textdocument";
import { format } from "../grammar/format/format.js";
import { VERSION } from "../cli/version.js";
import { AnalysisCache } from "./analysis.js";
import { codeActions } from "./actions.js";
import { complete } from "./completion.js";
import { toLspDiagnostic } from "./diagnostics.js";
import { hover } from "./hover.js";
import { definition, documentSymbols, prepareRename, references, rename } from "./navigation.js";

export interface ServerOptions {
  /** Delay after the last keystroke before diagnostics are computed (ms). */
  debounceMs: number;
}

export function startServer(connection: Connection = createConnection(ProposedFeatures.all), options: ServerOptions = { debounceMs: 150 }): Connection {
  const documents = new TextDocuments(TextDocument);
  const cache = new AnalysisCache();
  const timers = new Map<string, NodeJS.Timeout>();
  let debounceMs = options.debounceMs;

  const publish = (document: TextDocument) => {
    const analysis = cache.get(document);
    connection.sendDiagnostics({ uri: document.uri, version: document.version, diagnostics: analysis.diagnostics.map((d) => toLspDiagnostic(document, d)) });
  };
  const schedule = (document: TextDocument, delay: number) => {
    clearTimeout(timers.get(document.uri));
    timers.set(document.uri, setTimeout(() => {
      timers.delete(document.uri);
      const current = documents.get(document.uri);
      if (current) publish(current);
    }, delay));
  };

  connection.onInitialize((params): InitializeResult => {
    const requested = (params.initializationOptions as { debounceMs?: number } | undefined)?.debounceMs;
    if (typeof requested === "number" && requested >= 0) debounceMs = requested;
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
  });

  documents.onDidOpen((event) => schedule(event.document, 0));
  documents.onDidChangeContent((event) => schedule(event.document, debounceMs));
  documents.onDidClose((event) => {
    clearTimeout(timers.get(event.document.uri));
    cache.forget(event.document.uri);
    connection.sendDiagnostics({ uri: event.document.uri, diagnostics: [] });
  });

  const withDocument = <T>(uri: string, fallback: T, handler: (document: TextDocument) => T): T => {
    const document = documents.get(uri);
    return document ? handler(document) : fallback;
  };

  connection.onHover((p) => withDocument(p.textDocument.uri, null, (d) => hover(d, cache.get(d), d.offsetAt(p.position))));
  connection.onCompletion((p) => withDocument(p.textDocument.uri, [], (d) => complete(cache.get(d), d.getText(), d.offsetAt(p.position))));
  connection.onDefinition((p) => withDocument(p.textDocument.uri, [], (d) => definition(d, cache.get(d), d.offsetAt(p.position))));
  connection.onReferences((p) => withDocument(p.textDocument.uri, [], (d) => references(d, cache.get(d), d.offsetAt(p.position), p.context.includeDeclaration)));
  connection.onDocumentSymbol((p) => withDocument(p.textDocument.uri, [], (d) => documentSymbols(d, cache.get(d))));
  connection.onPrepareRename((p) => withDocument(p.textDocument.uri, null, (d) => prepareRename(d, cache.get(d), d.offsetAt(p.position))));
  connection.onRenameRequest((p) => withDocument(p.textDocument.uri, null, (d) => rename(d, cache.get(d), d.offsetAt(p.position), p.newName)));
  connection.onCodeAction((p) => withDocument(p.textDocument.uri, [], (d) => codeActions(d, p.context.diagnostics)));
  connection.onDocumentFormatting((p) =>
    withDocument(p.textDocument.uri, [], (d) => {
      const analysis = cache.get(d);
      // Like `dslc fmt`, never reformat a file with syntax errors.
      if (analysis.syntaxErrors > 0) return [];
      const text = d.getText();
      const formatted = format(analysis.ast, text);
      return formatted === text ? [] : [{ range: { start: d.positionAt(0), end: d.positionAt(text.length) }, newText: formatted }];
    }),
  );

  documents.listen(connection);
  connection.listen();
  return connection;
}
