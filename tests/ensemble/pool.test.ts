// The worker process pool that ensembles and `dslc search` share (cli/workers/pool.ts): answers in any
// order, a dead worker fails only its job (with its exit and last stderr line), and close() ends the rest.
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { ProcessPool } from "../../cli/workers/pool.js";

const WORKER = fileURLToPath(new URL("./pool-worker.ts", import.meta.url));
let pool: ProcessPool<{ value: number; exit?: number }, number> | undefined;
afterEach(() => pool?.close());

describe("ProcessPool", () => {
  it("runs jobs in worker processes and reuses a worker for the next job", async () => {
    pool = new ProcessPool(WORKER);
    expect(await Promise.all([1, 2, 3].map((value) => pool!.run({ value })))).toEqual([2, 4, 6].map((result) => ({ ok: true, result })));
    expect(await pool.run({ value: 5 })).toEqual({ ok: true, result: 10 });
  }, 60_000);

  it("fails only the job whose worker died, with the reason, and starts a fresh worker for the next", async () => {
    pool = new ProcessPool(WORKER);
    const [dead, alive] = await Promise.all([pool.run({ value: 1, exit: 3 }), pool.run({ value: 2 })]);
    expect(dead).toEqual({ ok: false, crashed: "the worker process died (exit code 3): about to die" });
    expect(alive).toEqual({ ok: true, result: 4 });
    expect(await pool.run({ value: 7 })).toEqual({ ok: true, result: 14 });
  }, 60_000);

  it("close() ends the workers: a running job fails and no new one starts", async () => {
    pool = new ProcessPool(WORKER);
    await pool.run({ value: 1 });
    const running = pool.run({ value: 2, exit: undefined });
    pool.close();
    expect(await running).toMatchObject({ ok: false });
    expect(await pool.run({ value: 3 })).toEqual({ ok: false, crashed: "the workers were stopped" });
  }, 60_000);
});
