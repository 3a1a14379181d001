// Writes a file atomically: a temporary file in the same folder, renamed over the target, so that no reader
// (a browser reloading a report, a trainer loading kernels) ever sees half a file, and a crash or a full
// disk leaves the old file or none.
import * as fs from "node:fs";
import * as path from "node:path";

export function writeFileAtomic(file: string, text: string): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const temporary = path.join(path.dirname(path.resolve(file)), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(temporary, text);
    fs.renameSync(temporary, file);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw error;
  }
}
