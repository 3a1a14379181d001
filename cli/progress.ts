// A one-line progress bar for terminals; silent when output is not a terminal.
export class ProgressBar {
  private lastDraw = 0;

  constructor(
    private readonly write: (text: string) => void,
    private readonly enabled: boolean,
  ) {}

  update(done: number, total: number, label: string): void {
    if (!this.enabled) return;
    const now = Date.now();
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
