// A scripted ADS client for protocol tests and load benchmarks: sends exactly the requests a test
// writes and queues every response, so each step of the protocol can be asserted.
import * as grpc from '@grpc/grpc-js';
import { serviceDefinitions, resourceTypes } from '../../src/envoy-api/protos';
import type { DeltaDiscoveryResponse__Output } from '../../proto/gen/envoy/service/discovery/v3/DeltaDiscoveryResponse';
import type { DiscoveryResponse__Output } from '../../proto/gen/envoy/service/discovery/v3/DiscoveryResponse';

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

function toValue(v: Json): object {
  if (v === null) return { nullValue: 'NULL_VALUE' };
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'number') return { numberValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (Array.isArray(v)) return { listValue: { values: v.map(toValue) } };
  return { structValue: toStruct(v) };
}

export function toStruct(obj: { [k: string]: Json }): object {
  return { fields: Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, toValue(v)])) };
}

/** How to reach Mast: TLS credentials (plaintext by default), and metadata for the call, such as a bearer token. */
export interface Connect {
  credentials?: grpc.ChannelCredentials;
  metadata?: grpc.Metadata;
}

export interface NodeInfo {
  id: string;
  metadata?: { [k: string]: Json };
}

type Response = DiscoveryResponse__Output | DeltaDiscoveryResponse__Output;

/**
 * A request's bytes: a Buffer, or pieces grpc-js frames as one. Its client frames a message by
 * reading `length` and calling `copy(target, 5)` (compression-filter.js, IdentityHandler), so a
 * request made of shared pieces is copied once, into the frame.
 */
export interface EncodedRequest {
  readonly length: number;
  copy(target: Uint8Array, offset: number): number;
}

const isEncoded = (m: object): m is EncodedRequest => typeof (m as Partial<EncodedRequest>).copy === 'function';

/**
 * How Envoy retries an ADS stream that failed: after a jittered exponential backoff, 500 ms at
 * first, doubling up to 30 s, each wait uniform in [0, interval) (RetryInitialDelayMs and
 * RetryMaxDelayMs of Envoy's source/extensions/config_subscription/grpc/grpc_stream.h, with
 * JitteredExponentialBackOffStrategy of source/common/common/backoff_strategy.cc).
 */
export const ENVOY_RETRY = { initialMs: 500, maxMs: 30_000 };

export class AdsClient<R extends Response | Buffer> {
  private readonly queue: R[] = [];
  private waiters: ((r: R) => void)[] = [];
  private listener: ((r: R) => void) | undefined;
  private sentNode = false;
  private call!: grpc.ClientDuplexStream<object, R>;
  /** Requests written on a stream no response has come on yet: what a retried stream sends again. */
  private unanswered: object[] | undefined = [];
  private retryIntervalMs = ENVOY_RETRY.initialMs;
  private closing = false;
  private resolveClosed!: (s: grpc.StatusObject) => void;
  /** Resolves with the status that ended the stream for good (a retried one does not count). */
  closed: Promise<grpc.StatusObject>;
  /** Streams refused before any response and opened again (see `raw`). */
  retries = 0;

  private constructor(private readonly startCall: () => grpc.ClientDuplexStream<object, R>, private readonly node: NodeInfo, private readonly client: grpc.Client, private readonly retryRefused: boolean) {
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    this.open();
  }

  private open(): void {
    const call = this.startCall();
    this.call = call;
    call.on('data', (r: R) => {
      this.unanswered = undefined;
      if (this.listener) return this.listener(r);
      const w = this.waiters.shift();
      if (w) w(r);
      else this.queue.push(r);
    });
    call.on('error', () => undefined);
    call.on('status', (status: grpc.StatusObject) => {
      if (call !== this.call) return;
      if (this.retryRefused && !this.closing && this.unanswered && status.code !== grpc.status.OK) this.retry();
      else this.resolveClosed(status);
    });
  }

  /** Envoy's answer to a stream that ended before its first response (a server refusing new
   * streams, as istiod does above PILOT_MAX_REQUESTS_PER_SECOND): the same requests on a new
   * stream after the backoff. */
  private retry(): void {
    const waitMs = Math.floor(Math.random() * this.retryIntervalMs);
    this.retryIntervalMs = Math.min(this.retryIntervalMs * 2, ENVOY_RETRY.maxMs);
    setTimeout(() => {
      if (this.closing) return;
      this.retries++;
      const again = this.unanswered ?? [];
      this.unanswered = [];
      this.sentNode = false;
      this.open();
      for (const req of again) this.send(req);
    }, waitMs);
  }

  /** `options` are grpc-js channel options; a load test passes `grpc.use_local_subchannel_pool` so
   * each client has a connection of its own, as each Envoy does. */
  static sotw(address: string, node: NodeInfo, options: grpc.ChannelOptions = {}, connect: Connect = {}): AdsClient<DiscoveryResponse__Output> {
    const { client, call } = open(address, 'StreamAggregatedResources', options, false, connect);
    return new AdsClient<DiscoveryResponse__Output>(call as () => grpc.ClientDuplexStream<object, DiscoveryResponse__Output>, node, client, false);
  }

  static delta(address: string, node: NodeInfo, options: grpc.ChannelOptions = {}, connect: Connect = {}): AdsClient<DeltaDiscoveryResponse__Output> {
    const { client, call } = open(address, 'DeltaAggregatedResources', options, false, connect);
    return new AdsClient<DeltaDiscoveryResponse__Output>(call as () => grpc.ClientDuplexStream<object, DeltaDiscoveryResponse__Output>, node, client, false);
  }

  /** Responses left as the bytes that came off the wire, for load clients that read only the few
   * fields they need: decoding every response in full would make the client the bottleneck. A
   * load client stands for an Envoy, so a stream that ends before its first response is opened
   * again after Envoy's backoff (ENVOY_RETRY) with the same requests, as Envoy does. */
  static raw(address: string, node: NodeInfo, transport: 'sotw' | 'delta', options: grpc.ChannelOptions = {}): AdsClient<Buffer> {
    const method = transport === 'sotw' ? 'StreamAggregatedResources' : 'DeltaAggregatedResources';
    const { client, call } = open(address, method, options, true);
    return new AdsClient<Buffer>(call as () => grpc.ClientDuplexStream<object, Buffer>, node, client, true);
  }

  /** Sends a request; the node goes on the first one only, as Envoy does. */
  send(req: object): void {
    const node = this.sentNode ? undefined : { id: this.node.id, metadata: toStruct(this.node.metadata ?? {}) };
    this.sentNode = true;
    this.unanswered?.push(req);
    this.call.write({ ...req, ...(node ? { node } : {}) });
  }

  /**
   * Sends a request a raw client encoded itself (a load client's ACKs: bench/lib/requests.ts), once
   * a response has come: the first request carries the node, and a stream is opened again with its
   * requests only before its first response.
   */
  sendEncoded(req: EncodedRequest): void {
    if (this.unanswered !== undefined) throw new Error('an encoded request goes only after the first response');
    this.call.write(req);
  }

  /** Hands every response to `listener` as it arrives, the queued ones first, from now on
   * (`next` then gets nothing): a load client holding thousands of streams is spared a promise and
   * a timer per response. */
  listen(listener: (r: R) => void): void {
    this.listener = listener;
    for (const r of this.queue.splice(0)) listener(r);
  }

  next(timeoutMs = 3000): Promise<R> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no xDS response within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = (r: R): void => {
        clearTimeout(timer);
        resolve(r);
      };
      this.waiters.push(waiter);
    });
  }

  /** Resolves if nothing arrives for `ms`, rejects with what did arrive. */
  async none(ms = 300): Promise<void> {
    try {
      const r = await this.next(ms);
      throw new Error(`expected no response, got ${Buffer.isBuffer(r) ? `${r.length} bytes` : `${r.type_url} nonce ${r.nonce}`}`);
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('no xDS response')) return;
      throw err;
    }
  }

  close(): void {
    this.closing = true;
    this.call.end();
    this.client.close();
  }
}

/** A client for `address` and a function that starts a new `method` stream on it. */
function open(address: string, method: string, options: grpc.ChannelOptions, raw = false, connect: Connect = {}): { client: grpc.Client; call: () => grpc.ClientDuplexStream<object, Response | Buffer> } {
  const ads = serviceDefinitions()['envoy.service.discovery.v3.AggregatedDiscoveryService'] as grpc.ServiceDefinition;
  const base = ads[method]!;
  // Raw: responses stay bytes, and requests the client encoded itself (sendEncoded) pass through,
  // typed as the Buffer grpc-js declares: it reads only their length and copy() (EncodedRequest).
  const def = raw ? { ...ads, [method]: { ...base, responseDeserialize: (b: Buffer) => b, requestSerialize: (m: object) => (isEncoded(m) ? (m as Buffer) : base.requestSerialize(m)) } } : ads;
  const Ctor = grpc.makeClientConstructor(def, 'AggregatedDiscoveryService');
  const client = new Ctor(address, connect.credentials ?? grpc.credentials.createInsecure(), options);
  const fn = (client as unknown as Record<string, (m?: grpc.Metadata) => grpc.ClientDuplexStream<object, Response | Buffer>>)[method]!;
  return { client, call: () => fn.call(client, connect.metadata) };
}

/** Decodes an Any from a response into a plain object with snake_case fields. */
export function decodeAny(any: { type_url: string; value: Buffer }): Record<string, unknown> {
  const type = resourceTypes().lookupType(any.type_url.replace('type.googleapis.com/', ''));
  return type.toObject(type.decode(any.value), { longs: String, enums: String, defaults: false }) as Record<string, unknown>;
}
