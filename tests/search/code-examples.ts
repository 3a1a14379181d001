// What the documented examples of the search codes (E0801, E0802, W0801 in compiler/diagnostics/codes.ts)
// report, for tests/compiler/diagnostic-codes.test.ts: they need a command line, a log or a search run.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { compileProgram } from "../../compiler/compile.js";
import { runFrontend } from "../../compiler/frontend.js";
import { borderWarnings } from "../../search/border.js";
import { searchSpace } from "../../search/space.js";
import { JsonlTrialStore, StudyLogError } from "../../search/store.js";
import { runStudy } from "../../search/study.js";
import { memoryProbe } from "../helpers/parse.js";

export interface Finding {
  code: string;
  message: string;
  span?: { start: number; end: number };
}

async function findings(code: string, text: string, role: "bad" | "good", dir: string): Promise<Finding[]> {
  if (code === "E0801") {
    const lets = role === "bad" ? { lr: "fast" } : { lr: 0.01 };
    return compileProgram(text, "/virtual/model.dl", memoryProbe({}), { lets }).diagnostics;
  }
  if (code === "E0802") {
    try {
      new JsonlTrialStore(path.join(dir, "log.jsonl"), text, "model.dl");
      return [];
    } catch (error) {
      if (error instanceof StudyLogError) return [{ code: error.code, message: error.message }];
      throw error;
    }
  }
  // W0801: the example's search on a synthetic objective whose best learning rate is 0.01.
  const space = searchSpace(runFrontend(text, "/virtual/model.dl", memoryProbe({})).check.searchSpace!);
  const store = new JsonlTrialStore(path.join(dir, `${role}.jsonl`), text, "model.dl");
  const study = await runStudy({ space, store, workers: 2, run: async (job) => ({ metric: -((Math.log10(job.params["lr"] as number) + 2) ** 2), seconds: 0 }) });
  return borderWarnings(space, study.best);
}

/** The findings of the bad and the good example; E0802's log is first written by the good one. */
export async function searchCodeFindings(code: string, bad: string, good: string): Promise<{ bad: Finding[]; good: Finding[] }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dslc-code-"));
  try {
    const goodFindings = await findings(code, good, "good", dir);
    return { bad: await findings(code, bad, "bad", dir), good: goodFindings };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
