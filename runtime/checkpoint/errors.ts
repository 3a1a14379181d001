// A checkpoint that cannot be resumed: damaged files, or one written by another model or run (E0703).
export class CheckpointError extends Error {
  readonly code = "E0703";
  constructor(
    message: string,
    readonly help: string,
  ) {
    super(message);
  }
}
