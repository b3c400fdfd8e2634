// Coalesces bursts of model changes into one push: fires `delayMs` after the last change, but no
// later than `maxDelayMs` after the first, so a steady stream of changes still converges.
//
// A change marked `leading` that comes after a quiet spell (nothing fired or pending for
// `maxDelayMs`) fires on the next turn of the event loop instead: the first endpoint change after
// a quiet second is pushed at once, and the changes that follow it within the spell are debounced
// as any. Contour's event handler does the same for every change (an update more than its
// holdoffMaxDelay after the last rebuild is built at once); istiod's PILOT_ENABLE_EDS_DEBOUNCE=false
// pushes every endpoint change at once (pilot/pkg/xds/discovery.go debounce). Mast leads with
// endpoint changes only: any order of them is a consistent mesh, where a VirtualService pushed
// before the DestinationRule it names, as one `kubectl apply` sends them, is not.
export class Debouncer {
  private timer: NodeJS.Timeout | undefined;
  private firstAt: number | undefined;
  /** Whether the pending timer is a leading one (fires on the next turn, not `delayMs` later). */
  private leadingTimer = false;
  private firedAt = Number.NEGATIVE_INFINITY;

  /**
   * @param delayMs quiet time after a change before the push, in ms (Istio's PILOT_DEBOUNCE_AFTER)
   * @param maxDelayMs the longest a change waits, in ms (PILOT_DEBOUNCE_MAX), and the quiet spell
   *   after which a leading change fires at once
   * @param fire the push, given when the first change it carries came (performance.now())
   * @param leadWith whether leading changes may fire at once (false: every change waits `delayMs`)
   */
  constructor(
    private readonly delayMs: number,
    private readonly maxDelayMs: number,
    private readonly fire: (firstChangeAt: number) => void,
    private readonly leadWith = true,
  ) {}

  /** Notes a change; `leading` marks one that may be pushed at once after a quiet spell. */
  trigger(leading = false): void {
    const now = performance.now();
    this.firstAt ??= now;
    if (leading && this.leadWith && (this.timer ? this.leadingTimer : now - this.firedAt >= this.maxDelayMs)) {
      // A leading timer already pending carries this change too.
      this.leadingTimer = true;
      this.timer ??= setTimeout(() => this.flush(), 0);
      return;
    }
    this.leadingTimer = false;
    if (this.timer) clearTimeout(this.timer);
    const wait = Math.max(0, Math.min(this.delayMs, this.firstAt + this.maxDelayMs - now));
    this.timer = setTimeout(() => this.flush(), wait);
  }

  private flush(): void {
    const firstAt = this.firstAt ?? performance.now();
    this.cancel();
    this.firedAt = performance.now();
    this.fire(firstAt);
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.firstAt = undefined;
    this.leadingTimer = false;
  }
}

/** Whether a model change touched EndpointSlices only (keys `Kind/namespace/name`): one that may lead. */
export const endpointsOnly = (keys: readonly string[]): boolean => keys.length > 0 && keys.every((key) => key.startsWith('EndpointSlice/'));
