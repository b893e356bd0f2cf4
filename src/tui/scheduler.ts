/**
 * One throttled redraw for the whole app: any number of requests between two frames make one draw,
 * and draws are at least `intervalMs` apart (50 ms: at most 20 a second), so a burst of keys or of
 * indexed packets never queues more drawing than the terminal can show.
 */
export class RenderScheduler {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private last = 0;
  /** Draws done (for the status line's and the bench's figures). */
  draws = 0;
  /** Duration of the last draw, ms. */
  lastMs = 0;

  constructor(
    private readonly draw: () => void,
    private readonly intervalMs = 50,
    private readonly now: () => number = () => performance.now(),
  ) {}

  request(): void {
    if (this.timer !== undefined) return;
    const wait = Math.max(0, this.last + this.intervalMs - this.now());
    this.timer = setTimeout(() => this.flush(), wait);
  }

  /** Draws now (e.g. the first screen), cancelling a pending request. */
  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const t0 = this.now();
    this.last = t0;
    this.draw();
    this.lastMs = this.now() - t0;
    this.draws++;
  }

  cancel(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
