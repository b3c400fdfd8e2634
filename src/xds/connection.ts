// What SotW and delta streams share: identity, nonces, writing with backpressure, and the
// per-type bookkeeping /debug/syncz reads.
import type { Context } from '@opentelemetry/api';
import { TYPE_URLS, type Proxy } from '../translate/types';
import type { ProxyView } from './cache';
import type { XdsMetrics } from './metrics';
import { InflightBudget, type BudgetWaiter } from './inflight';
import { DEFAULT_XDS_LIMITS, type XdsLimits } from './limits';
import { nackReason, reasonLabel } from './nack';
import { StreamSpans } from './stream-spans';
import { SHORT_TYPE } from './types';
import type { ResponseBytes } from './wire';

export interface Logger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

/**
 * How long listeners and routes wait for a new cluster's endpoints before they go out anyway: a
 * proxy that never asks for them must not be starved of every later listener and route change.
 */
const WARM_HOLD_MS = 5000;

/** A push in progress: which generation, and when the change that caused it was first seen. */
export interface PushContext {
  view: ProxyView;
  changedAt?: number;
  /** The push's trace (src/telemetry/push-trace.ts), when Mast exports traces. */
  trace?: Context;
}

export interface TypeStatus {
  type: string;
  subscribed: string[];
  wildcard: boolean;
  sentVersion?: string;
  sentNonce?: string;
  sentAt?: string;
  sentCount: number;
  ackedVersion?: string;
  ackedAt?: string;
  lastNack?: { version?: string; nonce: string; message: string; at: string };
}

export interface ConnectionStatus {
  id: string;
  proxyId: string;
  transport: 'sotw' | 'delta';
  connectedAt: string;
  generation: number;
  types: TypeStatus[];
}

/** The bit of a grpc-js duplex call a connection writes to. */
export interface Writable {
  /**
   * `done` runs once the transport has taken the chunk (grpc-js: HTTP/2 wrote the frame). A
   * ResponseBytes is framed by grpc-js straight from its pieces, and its framed copy is freed when
   * `done` runs without an error (wire.ts).
   */
  write(chunk: Buffer | ResponseBytes, done: (err?: Error | null) => void): boolean;
  once(event: 'drain', cb: () => void): unknown;
}

export abstract class Connection implements BudgetWaiter {
  abstract readonly transport: 'sotw' | 'delta';
  private nonceSeq = 0;
  private blocked = false;
  /** Waiting in the global budget's queue; `resume` picks the push up again. */
  private waiting = false;
  private closed = false;
  /** Taken from the budget for the response about to be written. */
  private reserved = 0;
  /** Written and not yet taken by the transport: given back to the budget when the stream closes. */
  private outstanding = 0;
  private pending: PushContext | undefined;
  private readonly connectedAt = new Date();
  protected generation = 0;
  private latest: PushContext | undefined;
  /**
   * Clusters new to the proxy whose endpoints it has not been sent. Envoy keeps a new cluster out
   * of service until its first EDS response, and a route naming it meanwhile answers 503 (no
   * cluster), so listeners and routes wait until these endpoints are out (see xds-rules.md).
   */
  private readonly warming = new Set<string>();
  private holdTimer: NodeJS.Timeout | undefined;
  private readonly spans = new StreamSpans(this);

  constructor(
    readonly id: string,
    public proxy: Proxy,
    private readonly call: Writable,
    protected readonly metrics: XdsMetrics,
    protected readonly log: Logger,
    /** What a request may ask of this stream (limits.ts); checked before its names are kept. */
    protected readonly limits: XdsLimits = DEFAULT_XDS_LIMITS,
    /** The bytes in flight across all streams (inflight.ts); a stream on its own has no bound. */
    private readonly budget = new InflightBudget(Infinity),
  ) {}

  protected nextNonce(): string {
    return `${this.id}-${++this.nonceSeq}`;
  }

  /** Brings the proxy up to `ctx.view`. A stream whose buffer is full waits for 'drain' and then
   * sends whatever is newest at that moment, never the intermediate versions. */
  push(ctx: PushContext): void {
    if (this.blocked || this.waiting || this.closed) {
      this.pending = ctx;
      return;
    }
    this.latest = ctx;
    this.generation = ctx.view.generation;
    this.sync(ctx);
  }

  /**
   * What a request's response belongs to. Requests are answered from the last push's snapshot
   * (server.ts), so a response at the generation that push brought completes it (the endpoints of
   * clusters it added, the listeners and routes held for them) and carries its trace; not its
   * change time, which would count a late subscription into the convergence time.
   */
  protected requested(view: ProxyView): PushContext {
    const last = this.latest;
    return last?.trace && last.view.generation === view.generation ? { view, trace: last.trace } : { view };
  }

  /** Notes clusters the proxy is being sent for the first time; those with endpoints now warm. */
  protected clustersAdded(names: Iterable<string>, view: ProxyView): void {
    const endpoints = view.resources.get(TYPE_URLS.endpoint);
    for (const n of names) if (endpoints?.has(n)) this.warming.add(n);
  }

  protected endpointsSent(names: Iterable<string>): void {
    for (const n of names) this.warming.delete(n);
  }

  /** Whether listeners and routes must wait for a warming cluster's endpoints to go out first. */
  protected holdingReferrers(view: ProxyView): boolean {
    const clusters = view.resources.get(TYPE_URLS.cluster);
    const endpoints = view.resources.get(TYPE_URLS.endpoint);
    for (const n of this.warming) if (!clusters?.has(n) || !endpoints?.has(n)) this.warming.delete(n);
    if (this.warming.size === 0) {
      clearTimeout(this.holdTimer);
      this.holdTimer = undefined;
      return false;
    }
    this.holdTimer ??= setTimeout(() => this.stopHolding(), WARM_HOLD_MS).unref();
    return true;
  }

  private stopHolding(): void {
    this.log.warn({ proxy: this.proxy.id, clusters: [...this.warming] }, 'proxy never asked for the endpoints of new clusters; sending listeners and routes anyway');
    this.warming.clear();
    this.holdTimer = undefined;
    if (this.latest) this.push(this.latest);
  }

  /** The budget's turn: the push that stopped for it, or a newer one that came meanwhile. */
  resume(): void {
    this.waiting = false;
    const next = this.pending ?? this.latest;
    this.pending = undefined;
    if (next) this.push(next);
  }

  /**
   * Whether a response of `bytes` may be written now, under the global budget. If not, the push
   * stops here (the caller returns without changing its state) and `resume` runs it again from
   * the newest view when the bytes fit, so responses go in the order sync makes them.
   */
  protected admit(bytes: number): boolean {
    if (this.budget.take(this, bytes)) {
      this.reserved = bytes;
      return true;
    }
    this.waiting = true;
    return false;
  }

  /** The stream is gone: nothing may be sent on it any more. */
  close(): void {
    this.closed = true;
    this.pending = undefined;
    this.budget.forget(this);
    this.budget.release(this.outstanding);
    this.outstanding = 0;
    this.spans.close();
    clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
    this.latest = undefined;
  }

  protected abstract sync(ctx: PushContext): void;

  /**
   * A NACK: Envoy's reason (without the rejected config it re-prints, nack.ts) goes to
   * /debug/syncz, the log and pilot_total_xds_rejects; the proxy keeps its last accepted config.
   */
  protected rejected(typeUrl: string, nonce: string, detail: string, version?: string): NonNullable<TypeStatus['lastNack']> {
    const type = SHORT_TYPE[typeUrl] ?? typeUrl;
    const reason = nackReason(detail);
    this.metrics.rejected(type, reasonLabel(reason));
    this.spans.answered(nonce, { nack: reason });
    this.log.warn({ proxy: this.proxy.id, type, nonce, version, reason }, `proxy ${this.proxy.id} rejected ${type} (NACK): ${reason}`);
    return { ...(version !== undefined ? { version } : {}), nonce, message: reason, at: new Date().toISOString() };
  }

  /** The proxy accepted the response with `nonce`. */
  protected acked(nonce: string): void {
    this.spans.answered(nonce);
  }

  abstract status(): ConnectionStatus;

  protected write(typeUrl: string, bytes: Buffer | ResponseBytes, startedAt: number, nonce: string, ctx?: PushContext): void {
    const type = SHORT_TYPE[typeUrl] ?? typeUrl;
    this.metrics.pushed(type, (performance.now() - startedAt) / 1000, bytes.byteLength, ctx?.changedAt);
    this.spans.sent(ctx?.trace, type, nonce, bytes.byteLength, this.generation);
    const taken = this.reserved;
    this.reserved = 0;
    this.outstanding += taken;
    const done = (err?: Error | null): void => {
      // The transport is done with grpc-js' framed copy: free it now rather than at V8's next GC (wire.ts).
      if (!err && 'release' in bytes) bytes.release();
      if (this.closed) return;
      this.outstanding -= taken;
      this.budget.release(taken);
    };
    if (this.call.write(bytes, done)) return;
    this.blocked = true;
    this.call.once('drain', () => {
      this.blocked = false;
      const next = this.pending;
      this.pending = undefined;
      if (next) this.push(next);
    });
  }

  protected baseStatus(types: TypeStatus[]): ConnectionStatus {
    return {
      id: this.id,
      proxyId: this.proxy.id,
      transport: this.transport,
      connectedAt: this.connectedAt.toISOString(),
      generation: this.generation,
      types,
    };
  }
}
