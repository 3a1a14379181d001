// The examples predict.mts classifies, read from a file: a NumPy .npy array whose first axis counts examples,
// or a CSV with a header line and one example per row (the label column, when named, left out). Both use the
// training data readers' rules for values, so a file `dslc train` reads is read the same here.
import { readNpyFile } from "../data/npy.js";
import { cellProblemMessage, LineSplitter, lineTooLong, parseCell, splitHeader, widthError } from "../data/csv.js";
import { readChunks } from "../data/files.js";
import { DataError } from "../data/errors.js";
import { InferenceError } from "./errors.js";

export interface Examples {
  x: Float32Array;
  count: number;
}

/** `features`: values per example the model takes; `label`: a CSV column to leave out (the true class, say). */
export function readExamples(file: string, features: number, options: { label?: string } = {}): Examples {
  const { x } = file.toLowerCase().endsWith(".npy") ? { x: readNpyFile(file).values } : readCsvFeatures(file, options.label);
  if (features === 0 || x.length % features !== 0)
    throw new InferenceError("E0831", `\`${file}\` holds ${x.length} values, not a whole number of examples of ${features} values each`, "give each example exactly the values the model takes (its input shape flattened), and leave out the label column with --label NAME");
  return { x, count: x.length / features };
}

function readCsvFeatures(file: string, label: string | undefined): { x: Float32Array } {
  let header: string[] | undefined;
  let skip = -1;
  const values: number[] = [];
  const lines = new LineSplitter(
    (line, row) => {
      if (!header) {
        header = splitHeader(line);
        skip = label === undefined ? -1 : header.indexOf(label);
        if (label !== undefined && skip < 0) throw new DataError(`\`${file}\` has no column \`${label}\``, { help: "name the label column as the header spells it, or leave out --label" });
        return;
      }
      const cells = line.split(",");
      if (cells.length !== header.length) throw new DataError(widthError((f) => f, file, row, cells.length, header.length).message, { help: "every row needs one value per column" });
      cells.forEach((cell, c) => {
        if (c === skip) return;
        const value = parseCell(cell);
        if (typeof value !== "number") {
          const problem = cellProblemMessage(value, `${file}:${row}:${c + 1}`, header![c]!, false);
          throw new DataError(problem.message, { code: problem.code, help: problem.help });
        }
        values.push(value);
      });
    },
    (line) => lineTooLong(file, line),
  );
  readChunks(file, (bytes) => lines.pushBytes(bytes));
  lines.end();
  if (!header) throw new DataError(`\`${file}\` is empty`, { help: "a CSV needs a header line, then one example per row" });
  return { x: Float32Array.from(values) };
}
