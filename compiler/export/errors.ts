// Why a model cannot be exported: a diagnostic code (E0820–E0829), what is wrong (naming the node or the
// tensor) and a `help:` line. The CLI renders it like every other diagnostic.
export class ExportError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly help: string,
  ) {
    super(message);
  }
}

