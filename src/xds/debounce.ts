// Coalesces bursts of model changes into one push: fires `delayMs` after the last change, but no
// later than `maxDelayMs` after the first, so a steady stream of changes still converges.
export class Debouncer {
  private timer: NodeJS.Timeout | undefined;
  private firstAt: number | undefined;

  constructor(
    private readonly delayMs: number,
    private readonly maxDelayMs: number,
    private readonly fire: (firstChangeAt: number) => void,
  ) {}

  trigger(): void {
    const now = performance.now();
    this.firstAt ??= now;
    if (this.timer) clearTimeout(this.timer);
    const wait = Math.max(0, Math.min(this.delayMs, this.firstAt + this.maxDelayMs - now));
    this.timer = setTimeout(() => this.flush(), wait);
  }

  private flush(): void {
    const firstAt = this.firstAt ?? performance.now();
    this.timer = undefined;
    this.firstAt = undefined;
    this.fire(firstAt);
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.firstAt = undefined;
  }
}
