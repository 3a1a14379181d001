// A one-line progress bar for terminals; silent when output is not a terminal.
export class ProgressBar {
  private lastDraw = -Infinity;

  constructor(
    private readonly write: (text: string) => void,
    private readonly enabled: boolean,
    private readonly now: () => number = () => performance.now(),
  ) {}

  update(done: number, total: number, label: string): void {
    if (!this.enabled) return;
    const now = this.now();
    if (now - this.lastDraw < 100 && done < total) return;
    this.lastDraw = now;
    const width = 30;
    const filled = Math.round((width * done) / Math.max(1, total));
    this.write(`\r[${"#".repeat(filled)}${".".repeat(width - filled)}] ${label}\x1b[K`);
  }

  clear(): void {
    if (this.enabled) this.write("\r\x1b[K");
  }
}

/** mm:ss, or h:mm:ss from an hour on. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const [h, m, r] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  const two = (n: number) => String(n).padStart(2, "0");
  return h > 0 ? `${h}:${two(m)}:${two(r)}` : `${m}:${two(r)}`;
}

/**
 * Keras' per-epoch bar: `epoch 3/12 [####......] 140/422  ETA 1:23  loss 0.4123`, the time left in the
 * epoch estimated from the steps done in it so far.
 */
export class EpochProgress {
  private epochStart = 0;
  private epoch = -1;

  constructor(
    private readonly bar: ProgressBar,
    private readonly stepsPerEpoch: number,
    private readonly epochs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** After optimizer step `step` (1-based, over the whole run), with the last logged loss if any. */
  step(step: number, loss?: number): void {
    const epoch = Math.floor((step - 1) / this.stepsPerEpoch);
    if (epoch !== this.epoch) {
      this.epoch = epoch;
      this.epochStart = this.now();
    }
    const done = step - epoch * this.stepsPerEpoch;
    this.bar.update(done, this.stepsPerEpoch, this.label(epoch, done, loss));
  }

  label(epoch: number, done: number, loss?: number): string {
    const elapsed = (this.now() - this.epochStart) / 1000;
    const eta = done > 1 ? `  ETA ${clock((elapsed / (done - 1)) * (this.stepsPerEpoch - done))}` : "";
    return `epoch ${epoch + 1}/${this.epochs}  ${done}/${this.stepsPerEpoch}${eta}${loss === undefined ? "" : `  loss ${loss.toFixed(4)}`}`;
  }
}
