// Jobs in parallel worker processes, one job at a time each: training is CPU-bound and single-threaded,
// so processes, not promises, use the cores. Used by `dslc search` (one trial a job) and by ensembles
// (one member a job). A worker that dies (out of memory, a native crash, killed) fails only its job, with
// the reason, and the next job gets a fresh process. The worker side is serve.ts.
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

/** What a job came to: the worker's answer, or why there was none. */
export type JobOutcome<R> = { ok: true; result: R } | { ok: false; crashed: string };

export interface JobMessage<J> {
  id: number;
  job: J;
}

export interface ReplyMessage<R> {
  id: number;
  result: R;
}

/**
 * The worker module `name` (e.g. "./worker") beside the module at `callerUrl`: built, a .js file; run from
 * the sources (tests, through tsx, whose loader the child inherits with process.execArgv), a .ts file.
 */
export function workerPath(callerUrl: string, name: string): string {
  return fileURLToPath(new URL(`${name}${callerUrl.endsWith(".ts") ? ".ts" : ".js"}`, callerUrl));
}

// Under vitest the sources are compiled in-process and execArgv has no loader: the child gets tsx's,
// resolved from the repository's root (job paths are absolute for that reason).
function forkOptions(modulePath: string): { execArgv: string[]; cwd?: string } {
  const withoutLoader = modulePath.endsWith(".ts") && !process.execArgv.some((a) => a.includes("tsx"));
  return withoutLoader ? { execArgv: [...process.execArgv, "--import", "tsx"], cwd: fileURLToPath(new URL("../..", import.meta.url)) } : { execArgv: process.execArgv };
}

interface Worker {
  process: ChildProcess;
  ready: Promise<void>;
  /** The last lines it printed to stderr (Dawn and Node print there): they say why a worker died. */
  stderr: () => string;
}

export class ProcessPool<J, R> {
  private readonly idle: Worker[] = [];
  private readonly busy = new Set<ChildProcess>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly modulePath: string) {}

  async run(job: J): Promise<JobOutcome<R>> {
    if (this.closed) return { ok: false, crashed: "the workers were stopped" };
    const worker = this.idle.pop() ?? this.spawn();
    this.busy.add(worker.process);
    try {
      try {
        await worker.ready;
      } catch (error) {
        return { ok: false, crashed: error instanceof Error ? error.message : String(error) };
      }
      const outcome = await this.send(worker, job);
      if (outcome.ok && worker.process.connected && !this.closed) this.idle.push({ ...worker, ready: Promise.resolve() });
      return outcome;
    } finally {
      this.busy.delete(worker.process);
    }
  }

  /** Ends every worker, those running a job too (their jobs end as crashed). */
  close(): void {
    this.closed = true;
    for (const worker of [...this.idle.map((w) => w.process), ...this.busy]) worker.kill("SIGKILL");
    this.idle.length = 0;
  }

  private spawn(): Worker {
    const child = fork(this.modulePath, [], { ...forkOptions(this.modulePath), serialization: "advanced", stdio: ["ignore", "ignore", "pipe", "ipc"] });
    // A send to a worker that was just killed fails with EPIPE; its exit says what happened to the job.
    child.on("error", () => {});
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    const ready = new Promise<void>((resolve, reject) => {
      child.once("message", (m) => (m === "ready" ? resolve() : reject(new Error("the worker did not start"))));
      child.once("exit", (code, signal) => reject(new Error(`the worker process ended while starting (${signal ?? `exit code ${code}`})${tail(stderr)}`)));
    });
    ready.catch(() => {});
    return { process: child, ready, stderr: () => stderr };
  }

  private send(worker: Worker, job: J): Promise<JobOutcome<R>> {
    const id = this.nextId++;
    const child = worker.process;
    return new Promise((resolve) => {
      const onMessage = (reply: ReplyMessage<R> | "ready") => {
        if (reply === "ready" || reply.id !== id) return;
        child.off("exit", onExit);
        child.off("message", onMessage);
        resolve({ ok: true, result: reply.result });
      };
      const onExit = (code: number | null, signal: string | null) => {
        child.off("message", onMessage);
        resolve({ ok: false, crashed: `the worker process died (${signal ?? `exit code ${code}`})${tail(worker.stderr())}` });
      };
      if (child.exitCode !== null || child.signalCode !== null) return onExit(child.exitCode, child.signalCode);
      child.on("message", onMessage);
      child.once("exit", onExit);
      child.send({ id, job } satisfies JobMessage<J>, () => {});
    });
  }
}

function tail(stderr: string): string {
  const last = stderr.trim().split("\n").slice(-1)[0];
  return last ? `: ${last}` : "";
}
