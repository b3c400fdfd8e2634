// What SotW and delta streams share: identity, nonces, writing with backpressure, and the
// per-type bookkeeping /debug/syncz reads.
import type { Proxy } from '../translate/types';
import type { ProxyView } from './cache';
import type { XdsMetrics } from './metrics';
import { SHORT_TYPE } from './types';

export interface Logger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

/** A push in progress: which generation, and when the change that caused it was first seen. */
export interface PushContext {
  view: ProxyView;
  changedAt?: number;
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
  write(chunk: Buffer): boolean;
  once(event: 'drain', cb: () => void): unknown;
}

export abstract class Connection {
  abstract readonly transport: 'sotw' | 'delta';
  private nonceSeq = 0;
  private blocked = false;
  private pending: PushContext | undefined;
  private readonly connectedAt = new Date();
  protected generation = 0;

  constructor(
    readonly id: string,
    public proxy: Proxy,
    private readonly call: Writable,
    protected readonly metrics: XdsMetrics,
    protected readonly log: Logger,
  ) {}

  protected nextNonce(): string {
    return `${this.id}-${++this.nonceSeq}`;
  }

  /** Brings the proxy up to `ctx.view`. A stream whose buffer is full waits for 'drain' and then
   * sends whatever is newest at that moment, never the intermediate versions. */
  push(ctx: PushContext): void {
    if (this.blocked) {
      this.pending = ctx;
      return;
    }
    this.generation = ctx.view.generation;
    this.sync(ctx);
  }

  protected abstract sync(ctx: PushContext): void;

  abstract status(): ConnectionStatus;

  protected write(typeUrl: string, bytes: Buffer, startedAt: number, ctx?: PushContext): void {
    const type = SHORT_TYPE[typeUrl] ?? typeUrl;
    this.metrics.pushed(type, (performance.now() - startedAt) / 1000, ctx?.changedAt);
    if (this.call.write(bytes)) return;
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
