// The seed whose data split the exported weights were trained on, so that `dslc export` fits the
// preprocessing on the same training split: a checkpoint records its run's seed (state.json), an ensemble
// its members' seeds (members.json; every member trains on the base seed's split, the lowest member seed).
// A bare .safetensors file records none: the file's seed, or `--seed` as given to `dslc train`, is used.
import * as fs from "node:fs";
import * as path from "node:path";
import { STATE_FILE, WEIGHTS_FILE } from "../../runtime/checkpoint/files.js";
import type { LoadedWeights } from "./weights-file.js";

export function recordedSeed(loaded: LoadedWeights): number | undefined {
  try {
    if (loaded.kind === "ensemble") {
      const seeds = (JSON.parse(fs.readFileSync(loaded.file, "utf8")) as { members?: { seed?: unknown }[] }).members?.map((m) => m.seed);
      return seeds && seeds.length && seeds.every((s) => typeof s === "number") ? Math.min(...(seeds as number[])) : undefined;
    }
    if (path.basename(loaded.file) !== WEIGHTS_FILE) return undefined;
    const state = path.join(path.dirname(loaded.file), STATE_FILE);
    if (!fs.existsSync(state)) return undefined;
    const seed = (JSON.parse(fs.readFileSync(state, "utf8")) as { run?: { seed?: unknown } }).run?.seed;
    return typeof seed === "number" ? seed : undefined;
  } catch {
    // A damaged state file is the checkpoint reader's to report; the weights were read without it.
    return undefined;
  }
}
