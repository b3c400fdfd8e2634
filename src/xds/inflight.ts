// A global budget of xDS response bytes in flight: written to some stream and not yet taken by the
// transport (grpc-js calls a write's callback once HTTP/2 has handed the frame to the socket). A
// SotW config of 1000 services is about 2 MB per proxy, and grpc-js frames each response into a
// buffer of its own that HTTP/2 holds until the proxy reads it, so without a bound a push to N
// proxies holds N copies at once. istiod bounds the same thing by count (PILOT_PUSH_THROTTLE,
// concurrent pushes; pilot/pkg/features/tuning.go); Mast bounds it by bytes, the thing that costs.
//
// The queue holds streams, not responses: a stream that may not write returns from its push and
// is resumed later, when it builds its responses from the newest view it has been pushed. So a
// response superseded while waiting is never built, let alone sent stale, and nothing waiting
// holds bytes.

/** What the budget resumes when a stream's turn comes: its push, from where it stopped. */
export interface BudgetWaiter {
  resume(): void;
}

/**
 * `mast serve --xds-inflight-bytes`' default: 16 MiB, eight or so SotW syncs of the 1000-service
 * mesh at once. What a response costs is more than its bytes in flight: each one framed by
 * grpc-js outlives its write as garbage until V8 collects it, so peak RSS follows the budget
 * about twofold. At 500 sidecars, 64 -> 16 MiB took the peak from 474 to 409 MiB with no slower
 * sync (BENCHMARKS.md, "Memory per proxy").
 */
export const DEFAULT_INFLIGHT_BYTES = 16 << 20;

interface Waiting {
  who: BudgetWaiter;
  bytes: number;
}

export class InflightBudget {
  private inFlight = 0;
  private readonly queue: Waiting[] = [];
  /** The stream being resumed: its first response goes ahead of the queue it has just left. */
  private turn: BudgetWaiter | undefined;

  /** `limit`: bytes in flight across all streams; Infinity for none. */
  constructor(readonly limit: number) {}

  /** Bytes written and not yet taken by the transport. */
  get bytes(): number {
    return this.inFlight;
  }

  /** Streams waiting for their turn. */
  get waiting(): number {
    return this.queue.length;
  }

  /**
   * Reserves `bytes` for `who`'s next response. True: write it now, and `release(bytes)` once the
   * transport has it. False: `who` is queued (FIFO, once) and its `resume()` is called when its
   * `bytes` fit: when the bytes in flight plus `bytes` are within the limit, or nothing at all is
   * in flight (a response larger than the whole budget goes alone). A stream that is queued, or
   * arrives while others wait, waits behind them, so no stream can starve the rest; one resumed
   * writes its first response at once and queues again for the next if others wait.
   */
  take(who: BudgetWaiter, bytes: number): boolean {
    const turn = this.turn === who;
    if ((turn || this.queue.length === 0) && this.fits(bytes)) {
      if (turn) this.turn = undefined;
      this.inFlight += bytes;
      return true;
    }
    const queued = this.queue.find((w) => w.who === who);
    if (queued) queued.bytes = bytes;
    // Resumed and still too big (its view changed meanwhile): it keeps its place at the head.
    else if (turn) this.queue.unshift({ who, bytes });
    else this.queue.push({ who, bytes });
    return false;
  }

  /** `bytes` taken by `take` left the process (or their stream closed). */
  release(bytes: number): void {
    this.inFlight -= bytes;
    this.pump();
  }

  /** A closed stream leaves the queue. */
  forget(who: BudgetWaiter): void {
    const i = this.queue.findIndex((w) => w.who === who);
    if (i >= 0) this.queue.splice(i, 1);
    if (i === 0) this.pump();
  }

  private fits(bytes: number): boolean {
    return this.inFlight === 0 || this.inFlight + bytes <= this.limit;
  }

  private pump(): void {
    for (let head = this.queue[0]; head && this.fits(head.bytes); head = this.queue[0]) {
      this.queue.shift();
      this.turn = head.who;
      try {
        head.who.resume();
      } finally {
        this.turn = undefined;
      }
    }
  }
}
