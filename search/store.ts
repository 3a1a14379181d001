// Where a study keeps its finished trials. The search asks a store only to claim a trial, report its
// result and list the results, so a store shared by several machines can replace the file one later.
// The file store's log is the state: a header line naming the study, then one JSON line per finished
// trial, each appended with one write and flushed to the disk before the trial counts as done.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { syncFolder } from "../runtime/atomic-write.js";
import type { TrialKey, TrialResult } from "./plan.js";

export interface TrialStore {
  /** Takes the trial for this process; false when it is finished or another worker holds it. */
  claim(key: TrialKey): boolean;
  /** Records a finished trial (successful or failed); it is never run again. */
  report(result: TrialResult): void;
  /** Gives a claimed trial back unfinished (the search was interrupted). */
  release(key: TrialKey): void;
  results(): TrialResult[];
}

/** A log the search cannot continue: another study's, or damaged (E0802). */
export class StudyLogError extends Error {
  readonly code = "E0802";
  constructor(
    message: string,
    readonly help: string,
  ) {
    super(message);
  }
}

/** What identifies a study: the file's text (its search block, model and training included). */
export function studyId(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}

interface Header {
  study: string;
  file: string;
  version: 1;
}

const key = (k: TrialKey) => `${k.stage}/${k.trial}`;

export class JsonlTrialStore implements TrialStore {
  private readonly finished = new Map<string, TrialResult>();
  private readonly claimed = new Set<string>();

  /** Opens (or starts) the log at `file` for the study of `text`; refuses another study's log. */
  constructor(
    readonly file: string,
    text: string,
    sourceFile: string,
  ) {
    const study = studyId(text);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    if (!fs.existsSync(file) || fs.statSync(file).size === 0) {
      const header: Header = { study, file: path.basename(sourceFile), version: 1 };
      this.append(JSON.stringify(header));
      syncFolder(path.dirname(file));
      return;
    }
    let content = fs.readFileSync(file, "utf8");
    // A crash in the middle of an append leaves a last line without its newline: that trial never
    // finished, so it is cut off and runs again.
    if (!content.endsWith("\n")) {
      const end = content.lastIndexOf("\n") + 1;
      fs.truncateSync(file, Buffer.byteLength(content.slice(0, end)));
      content = content.slice(0, end);
    }
    const lines = content.split("\n").filter((l) => l.length > 0);
    const header = parseLine(lines[0] ?? "", file, 1) as Partial<Header>;
    if (header.study !== study) {
      throw new StudyLogError(
        `the search log \`${file}\` belongs to another study (${header.file ?? "unknown file"}, study ${header.study ?? "?"}); this file's text is study ${study}`,
        `the file changed since the log was written: search it in another folder with \`--out DIR\`, or delete \`${path.dirname(file)}\` to start over`,
      );
    }
    lines.slice(1).forEach((line, i) => {
      const result = parseLine(line, file, i + 2) as TrialResult;
      if (typeof result.stage !== "number" || typeof result.trial !== "number" || typeof result.params !== "object") {
        throw new StudyLogError(`line ${i + 2} of the search log \`${file}\` is not a trial`, `delete \`${path.dirname(file)}\` to start the search over`);
      }
      this.finished.set(key(result), result);
    });
  }

  claim(k: TrialKey): boolean {
    if (this.finished.has(key(k)) || this.claimed.has(key(k))) return false;
    this.claimed.add(key(k));
    return true;
  }

  report(result: TrialResult): void {
    if (this.finished.has(key(result))) return;
    this.append(JSON.stringify(result));
    this.finished.set(key(result), result);
    this.claimed.delete(key(result));
  }

  release(k: TrialKey): void {
    this.claimed.delete(key(k));
  }

  results(): TrialResult[] {
    return [...this.finished.values()].sort((a, b) => a.stage - b.stage || a.trial - b.trial);
  }

  /** One write of the whole line, flushed: a crash leaves the line whole or cut (and then cut off above). */
  private append(line: string): void {
    const fd = fs.openSync(this.file, "a");
    try {
      fs.writeSync(fd, line + "\n");
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }
}

function parseLine(line: string, file: string, number: number): unknown {
  try {
    const value = JSON.parse(line);
    if (typeof value === "object" && value !== null) return value;
  } catch {
    // reported below
  }
  throw new StudyLogError(`line ${number} of the search log \`${file}\` is damaged`, `delete \`${path.dirname(file)}\` to start the search over`);
}
