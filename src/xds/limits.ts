// What one client may make Mast hold: resource names per stream (per type and in all), the length
// of one name, and streams per proxy. Without these, a client that subscribes to 300,000 names on
// each of 20 streams made Mast hold 710 MB of heap (issue 10). A request over a limit ends its
// stream with RESOURCE_EXHAUSTED, which is what gRPC says a per-client quota ran out with
// (grpc/doc/statuscodes.md; istiod answers its own request rate limit the same way,
// pilot/pkg/xds/ads.go), before any of its names are kept.
import * as grpc from '@grpc/grpc-js';
import type { Logger } from './connection';
import { DELTA_DISCOVERY_REQUEST_FIELDS, DISCOVERY_REQUEST_FIELDS, NODE_FIELDS, walkFields, type Declared } from './proto-walk';

/**
 * The limits, all counts except `maxNameLength` (UTF-16 code units, as JS measures strings; Envoy's
 * names are ASCII, so bytes). Each is set by the `mast serve` flag named in LIMIT_FLAGS.
 */
export interface XdsLimits {
  /** Distinct names one stream may subscribe to for one type. */
  maxNamesPerType: number;
  /** Names one stream may subscribe to across all its types. */
  maxNamesPerStream: number;
  /** Longest resource name a stream may subscribe to. */
  maxNameLength: number;
  /** Streams open at once for one proxy (node id). */
  maxStreamsPerProxy: number;
}

/**
 * Defaults well above what a real proxy asks for. A sidecar of a 10,000-service mesh subscribes
 * to about 10,000 EDS names (one per cluster; more with subsets), a few RDS names and two SDS
 * names: 50,000 per type leaves 5x room, 100,000 per stream covers two such types at once. The
 * longest name Mast makes is a cluster `outbound|PORT|SUBSET|HOST` (a 253-character DNS host, a
 * 63-character subset): 1024 leaves room for anything a proxy may legitimately name. A proxy
 * holds one ADS stream (SDS rides on it), and briefly a second while Envoy reconnects before Mast
 * has seen the first one end; 16 leaves room for per-type (non-ADS) streams too.
 */
export const DEFAULT_XDS_LIMITS: XdsLimits = {
  maxNamesPerType: 50_000,
  maxNamesPerStream: 100_000,
  maxNameLength: 1024,
  maxStreamsPerProxy: 16,
};

export type LimitName = 'names_per_type' | 'names_per_stream' | 'name_length' | 'streams_per_proxy';

/** The `mast serve` flag that sets each limit, named in every refusal so the operator can raise it. */
export const LIMIT_FLAGS: Record<LimitName, string> = {
  names_per_type: '--xds-max-names-per-type',
  names_per_stream: '--xds-max-names-per-stream',
  name_length: '--xds-max-name-length',
  streams_per_proxy: '--xds-max-streams-per-proxy',
};

/** A request or stream over a limit: thrown by a connection, caught by the server, which ends the stream. */
export class LimitExceeded extends Error {
  readonly code = grpc.status.RESOURCE_EXHAUSTED;

  /** `proxyId`: the node id, when the refusal came before the request was decoded. */
  constructor(readonly limit: LimitName, what: string, max: number, readonly proxyId?: string) {
    super(`${what}: over the limit of ${max} (${limit}; raise it with mast serve ${LIMIT_FLAGS[limit]})`);
  }
}

/**
 * Frozen name lists (shared by every request repeating them, repeated-names.ts: each SotW ACK of
 * 1200 EDS names) that passed the length limit, by that limit: walked once, not once per ACK.
 */
const withinLength = new WeakMap<readonly string[], number>();

/**
 * Checks a request's names before any is stored: `names` are what the request asks for of
 * `typeUrl`; `typeCount(extra)` is how many names the type would hold with them (SotW replaces
 * the type's set, delta adds to it) and is called only once `names` is known to be within the
 * per-type limit, so its cost is bounded; `others` is what the stream's other types hold.
 * Throws LimitExceeded. Duplicate names in one request count each time: a proxy never sends them.
 */
export function checkNames(limits: XdsLimits, typeUrl: string, names: readonly string[], typeCount: () => number, others: number): void {
  const type = () => typeUrl.slice(typeUrl.lastIndexOf('.') + 1);
  if (names.length > limits.maxNamesPerType) throw new LimitExceeded('names_per_type', `${names.length} ${type()} names in one request`, limits.maxNamesPerType);
  if (withinLength.get(names) !== limits.maxNameLength) {
    for (const n of names) {
      if (n.length > limits.maxNameLength) throw new LimitExceeded('name_length', `a ${type()} name of ${n.length} characters (${JSON.stringify(n.slice(0, 64))}...)`, limits.maxNameLength);
    }
    if (Object.isFrozen(names)) withinLength.set(names, limits.maxNameLength);
  }
  const count = typeCount();
  if (count > limits.maxNamesPerType) throw new LimitExceeded('names_per_type', `${count} subscribed ${type()} names`, limits.maxNamesPerType);
  if (count + others > limits.maxNamesPerStream) throw new LimitExceeded('names_per_stream', `${count + others} subscribed names on one stream`, limits.maxNamesPerStream);
}

/**
 * Where DiscoveryRequest and DeltaDiscoveryRequest keep the node and their repeated names
 * (envoy/service/discovery/v3/discovery.proto): SotW resource_names and resource_locators; delta
 * resource_names_subscribe and _unsubscribe, initial_resource_versions (map entries) and
 * resource_locators_subscribe and _unsubscribe (no proxy unsubscribes more than it may hold, and
 * every one of them is decoded), with the fields each declares (proto-walk.ts).
 */
export const NAME_FIELDS = {
  sotw: { node: 2, names: [3, 7], known: DISCOVERY_REQUEST_FIELDS },
  delta: { node: 1, names: [3, 4, 5, 8, 9], known: DELTA_DISCOVERY_REQUEST_FIELDS },
} as const;

/**
 * Refuses a request with more names in one of its name fields than one type may hold, from its
 * bytes, before they are decoded: decoding a 16 MiB request of 300,000 names takes about four
 * times its size in heap, so 20 streams sending one each held over 600 MB for a moment. The
 * refusal carries the node id when the request names the node (the first on a stream does).
 */
export function refusedBeforeDecoding(bytes: Uint8Array, fields: { node: number; names: readonly number[]; known: (field: number) => Declared }, limits: XdsLimits): LimitExceeded | undefined {
  const counts = new Map<number, number>(fields.names.map((f) => [f, 0]));
  let over: number | undefined;
  let node: [number, number] | undefined;
  // Fields as the deserializer will find them (proto-walk.ts), so no encoding hides a name.
  walkFields(bytes, 0, bytes.length, fields.known, ({ field, from, to, known }) => {
    if (!known) return false;
    if (field === fields.node) node = [from, to];
    const n = counts.get(field);
    if (n === undefined) return false;
    counts.set(field, n + 1);
    if (n + 1 > limits.maxNamesPerType) over = field;
    return over !== undefined;
  });
  if (over === undefined) return undefined;
  let proxyId: string | undefined;
  // The node comes before the names in what Envoy and protobuf encoders write (field order); a
  // node after them goes unnamed.
  if (node) {
    walkFields(bytes, node[0], node[1], NODE_FIELDS, ({ field, from, to }) => {
      if (field !== 1) return false; // Node.id
      proxyId = Buffer.from(bytes.buffer, bytes.byteOffset + from, to - from).toString('utf8');
      return true;
    });
  }
  return new LimitExceeded('names_per_type', `the names of one request (field ${over}, counted before decoding)`, limits.maxNamesPerType, proxyId);
}

/** What a stream's types other than `typeUrl` hold, for the per-stream limit (at most one entry per type). */
export function namesBesides(states: ReadonlyMap<string, { subscribed: ReadonlySet<string> }>, typeUrl: string): number {
  let n = 0;
  for (const [t, st] of states) if (t !== typeUrl) n += st.subscribed.size;
  return n;
}

/** Log lines per limit per window: a flood of refused streams must not flood the log too. */
const LOG_WINDOW_MS = 10_000;

/**
 * The server's side of the limits: streams per proxy, the refusal counter (XdsMetrics'
 * `pilot_xds_refused_streams_total{limit}`), and a log line per limit at most every 10 s, counting
 * the refusals it stood for.
 */
export class XdsLimiter {
  private readonly streams = new Map<string, number>();
  private readonly logged = new Map<LimitName, { at: number; suppressed: number }>();

  constructor(readonly limits: XdsLimits, private readonly log: Logger, private readonly metrics?: { refusedStream(limit: LimitName): void }) {}

  /** Admits one more stream of `proxyId`; returns its release, or throws LimitExceeded. */
  open(proxyId: string): () => void {
    const n = this.streams.get(proxyId) ?? 0;
    if (n >= this.limits.maxStreamsPerProxy) throw new LimitExceeded('streams_per_proxy', `stream ${n + 1} of proxy ${proxyId}`, this.limits.maxStreamsPerProxy);
    this.streams.set(proxyId, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.streams.get(proxyId) ?? 1) - 1;
      if (left > 0) this.streams.set(proxyId, left);
      else this.streams.delete(proxyId);
    };
  }

  /** Counts a refusal and logs it, unless this limit was logged within the window. */
  refused(err: LimitExceeded, proxyId: string | undefined, streamId: string): void {
    this.metrics?.refusedStream(err.limit);
    const now = Date.now();
    const last = this.logged.get(err.limit);
    if (last && now - last.at < LOG_WINDOW_MS) {
      last.suppressed++;
      return;
    }
    const suppressed = last?.suppressed ?? 0;
    this.logged.set(err.limit, { at: now, suppressed: 0 });
    const more = suppressed > 0 ? ` (and ${suppressed} more refused for ${err.limit} since the last such line)` : '';
    this.log.warn({ proxy: proxyId, stream: streamId, limit: err.limit, suppressed }, `refused xDS stream${proxyId ? ` of proxy ${proxyId}` : ''} with RESOURCE_EXHAUSTED: ${err.message}${more}`);
  }
}
