// One simulated Envoy sidecar on an ADS stream, in this process: the xds-load bench's `--client
// node` (its default is the Go twin, bench/load-client), and the SDS and debug-cost benches'
// client. SotW or delta, in the order Envoy asks: CDS (wildcard), then EDS for the clusters CDS
// named, then LDS (wildcard) once clusters have warmed, then RDS for the route configs the
// listeners named; every response is ACKed, and every time it reports (synced, a change seen) is
// taken after the ACK was written to the stream. It reads only the names it subscribes with, plus,
// while a change is awaited, the ClusterLoadAssignments it watches. A response Envoy would reject
// (undecodable, or a resource not of the response's type) is NACKed as Envoy NACKs it, and counted.
// Its requests after the first (which carries the node) are encoded here (requests.ts): a SotW
// ACK's 1200 repeated names once per subscription, not once per ACK, so that the client costs far
// less than the servers it measures. With `sds`, it also asks for the secrets `default` and
// `ROOTCA` once its first clusters arrive, as Envoy does when their TLS names them, and notes when
// its own certificate came.
import { TYPE_URLS } from '../../src/translate/types';
import { resourceTypes, serviceDefinitions } from '../../src/envoy-api/protos';
import { AdsClient, type NodeInfo } from '../../test/support/ads-client';
import { deltaAck, resourceNamesField, sotwRequest, type RequestBytes } from './requests';
import { clusterNames, endpointAddresses, misTyped, readResponse, resourceName, routeConfigNames, type RawResponse, type Span } from './wire';

export type Transport = 'sotw' | 'delta';

/** The SDS secrets a sidecar asks for: its own certificate and the trust bundle (Istio's names). */
const SECRETS = ['default', 'ROOTCA'];

/** Every sidecar gets its own connection, as separate Envoys would (grpc-js otherwise shares one). */
const CHANNEL_OPTIONS = { 'grpc.use_local_subchannel_pool': 1, 'grpc.max_receive_message_length': -1 };
const NONE: readonly string[] = [];

/** A thousand sidecars hold the same thousand names: one copy of each keeps the client small. */
const interned = new Map<string, string>();
function intern(s: string): string {
  const known = interned.get(s);
  if (known !== undefined) return known;
  interned.set(s, s);
  return s;
}

/** Loads the .proto files now, so that the first measured sidecar does not pay for it. */
export function loadProtos(): void {
  serviceDefinitions();
  resourceTypes();
}

/** What a sidecar held when it finished its initial sync. */
export interface Holdings {
  clusters: number;
  endpoints: number;
  listeners: number;
  routes: number;
}

/** One awaited change of a cluster's endpoints: seen once its CLA lists `ip`. */
interface Watch {
  ip: string;
  seen: (at: number) => void;
}

/** Per type: what this sidecar subscribes to and what it last ACKed. */
class TypeState {
  /** For CDS and LDS: the children (EDS or RDS names) each cluster or listener names. */
  children = new Map<string, readonly string[]>();
  private names = new Set<string>();
  /** `subscribed` as a SotW request's resource_names field, made when first sent. */
  private namesField: Buffer | undefined;
  /** Subscribed names no response has carried yet. */
  readonly pending = new Set<string>();
  version = '';
  nonce = '';
  answered = false;

  get subscribed(): ReadonlySet<string> {
    return this.names;
  }

  set subscribed(names: Set<string>) {
    this.names = names;
    this.namesField = undefined;
  }

  /** A SotW request for the current subscription, version and nonce, encoded. */
  sotwRequest(typeUrl: string): RequestBytes {
    this.namesField ??= resourceNamesField([...this.names]);
    return sotwRequest(typeUrl, this.namesField, this.version, this.nonce);
  }
}

export class Sidecar {
  readonly startedAt = performance.now();
  syncedAt: number | undefined;
  /** With `sds`: when the response carrying its certificate (`default`) arrived. */
  certAt: number | undefined;
  holdings: Holdings | undefined;
  /** Bytes of the responses (gRPC messages) that arrived until the sidecar was synced. */
  syncBytes = 0;
  /** Bytes of every response (gRPC messages, without HTTP/2 framing) that arrived so far. */
  bytesReceived = 0;
  /** Responses NACKed: undecodable, or holding a resource not of the response's type. */
  nacks = 0;
  firstNack: string | undefined;
  failure: Error | undefined;
  readonly synced: Promise<number>;
  private resolveSynced!: (ms: number) => void;
  private readonly client: AdsClient<Buffer>;
  private readonly states = new Map<string, TypeState>();
  /** Awaited changes by ClusterLoadAssignment name, oldest first. */
  private readonly watches = new Map<string, Watch[]>();
  private stopped = false;

  constructor(address: string, node: NodeInfo, readonly transport: Transport, private readonly sds = false) {
    this.synced = new Promise((resolve) => (this.resolveSynced = resolve));
    this.client = AdsClient.raw(address, node, transport, CHANNEL_OPTIONS);
    // The first request carries the node, so it goes as an object; the rest are encoded here.
    if (transport === 'delta') this.client.send({ type_url: TYPE_URLS.cluster, resource_names_subscribe: [], resource_names_unsubscribe: [] });
    else this.client.send({ type_url: TYPE_URLS.cluster, resource_names: [] });
    this.state(TYPE_URLS.cluster);
    this.client.listen((r) => this.receive(r));
  }

  /** Calls `seen` with the time this sidecar ACKed the EDS response listing `ip` in `cluster`'s
   * ClusterLoadAssignment, or a later one of that cluster's awaited addresses (a newer change
   * supersedes it: SotW and delta both send only a resource's latest state). Addresses must be
   * new to the cluster. A callback rather than a promise: a churn awaits thousands at once. */
  expect(cluster: string, ip: string, seen: (at: number) => void): void {
    const list = this.watches.get(cluster);
    if (list) list.push({ ip, seen });
    else this.watches.set(intern(cluster), [{ ip, seen }]);
  }

  close(): void {
    this.stopped = true;
    this.client.close();
  }

  private receive(r: Buffer): void {
    if (this.stopped) return;
    try {
      this.onResponse(r);
    } catch (err) {
      this.failure = err instanceof Error ? err : new Error(String(err));
      this.close();
    }
  }

  private state(typeUrl: string): TypeState {
    let st = this.states.get(typeUrl);
    if (!st) this.states.set(typeUrl, (st = new TypeState()));
    return st;
  }

  private onResponse(bytes: Buffer): void {
    const now = performance.now();
    this.bytesReceived += bytes.length;
    if (this.syncedAt === undefined) this.syncBytes += bytes.length;
    let r: RawResponse;
    try {
      r = readResponse(bytes, this.transport === 'delta');
    } catch (err) {
      // Without a type URL there is no request to NACK with; count it and read on.
      this.noteNack(`undecodable response: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    const wrong = misTyped(bytes, r);
    if (wrong > 0) {
      this.nack(r, `${wrong} of ${r.resources.length} resources are not of type ${r.typeUrl}`);
      return;
    }
    const st = this.state(r.typeUrl);
    let seen: Watch[] | undefined;
    st.answered = true;
    switch (r.typeUrl) {
      case TYPE_URLS.cluster:
        this.follow(st, TYPE_URLS.endpoint, r, (span) => {
          const { name, eds } = clusterNames(bytes, span);
          return [name, eds === undefined ? NONE : [intern(eds)]];
        });
        break;
      case TYPE_URLS.listener:
        this.follow(st, TYPE_URLS.route, r, (span) => [resourceName(bytes, span), routeConfigNames(bytes, span).map(intern)]);
        break;
      case TYPE_URLS.endpoint:
        this.arrived(st, bytes, r);
        if (this.watches.size > 0) seen = this.check(bytes, r);
        break;
      case TYPE_URLS.secret:
        if (this.certAt === undefined && r.resources.some((span) => resourceName(bytes, span) === 'default')) this.certAt = now;
        this.arrived(st, bytes, r);
        break;
      default:
        this.arrived(st, bytes, r);
    }
    this.ack(r, st);
    const acked = performance.now();
    if (seen) for (const w of seen) w.seen(acked);
    if (this.sds && r.typeUrl === TYPE_URLS.cluster && !this.states.has(TYPE_URLS.secret)) {
      const secrets = this.state(TYPE_URLS.secret);
      secrets.subscribed = new Set(SECRETS);
      for (const n of SECRETS) secrets.pending.add(n);
      this.subscribe(TYPE_URLS.secret, SECRETS);
    }
    // Envoy asks for listeners only once its clusters have warmed.
    if (r.typeUrl === TYPE_URLS.endpoint && st.pending.size === 0 && !this.states.has(TYPE_URLS.listener)) this.subscribe(TYPE_URLS.listener, []);
    if (this.syncedAt === undefined && this.isSynced()) this.finishSync(acked);
  }

  private noteNack(reason: string): void {
    this.nacks++;
    this.firstNack ??= reason;
  }

  /** Rejects `r` as Envoy does: the nonce answered, the last accepted version kept, and why. */
  private nack(r: RawResponse, reason: string): void {
    this.noteNack(reason);
    const st = this.state(r.typeUrl);
    st.nonce = r.nonce;
    const error_detail = { code: 3 /* INVALID_ARGUMENT */, message: reason };
    if (this.transport === 'delta') this.client.send({ type_url: r.typeUrl, response_nonce: r.nonce, error_detail });
    else this.client.send({ type_url: r.typeUrl, resource_names: [...st.subscribed], version_info: st.version, response_nonce: r.nonce, error_detail });
  }

  /** Once a type's subscriptions have all been answered, later responses need not be read. */
  private arrived(st: TypeState, bytes: Buffer, r: RawResponse): void {
    if (st.pending.size === 0) return;
    for (const span of r.resources) st.pending.delete(resourceName(bytes, span));
  }

  /** The awaited changes this EDS response carries (and those they supersede), taken off the list. */
  private check(bytes: Buffer, r: RawResponse): Watch[] | undefined {
    let seen: Watch[] | undefined;
    for (const span of r.resources) {
      const name = resourceName(bytes, span);
      const list = this.watches.get(name);
      if (!list) continue;
      const ips = endpointAddresses(bytes, span);
      let last = -1;
      list.forEach((w, k) => {
        if (ips.includes(w.ip)) last = k;
      });
      if (last < 0) continue;
      (seen ??= []).push(...list.splice(0, last + 1));
      if (list.length === 0) this.watches.delete(name);
    }
    return seen;
  }

  /** Keeps the child type's subscription equal to what the parents (clusters or listeners) name,
   * as Envoy does. A SotW response holds every parent; a delta one only the changed ones. */
  private follow(parent: TypeState, childType: string, r: RawResponse, read: (span: Span) => [name: string, children: readonly string[]]): void {
    if (this.transport === 'sotw') parent.children = new Map();
    for (const name of r.removed) parent.children.delete(name);
    for (const span of r.resources) {
      const [name, children] = read(span);
      parent.children.set(intern(name), children);
    }
    const wanted = new Set<string>();
    for (const names of parent.children.values()) for (const n of names) wanted.add(n);
    const child = this.state(childType);
    const added = [...wanted].filter((n) => !child.subscribed.has(n));
    const dropped = [...child.subscribed].filter((n) => !wanted.has(n));
    if (added.length === 0 && dropped.length === 0) return;
    for (const n of added) child.pending.add(n);
    for (const n of dropped) child.pending.delete(n);
    child.subscribed = wanted;
    this.subscribe(childType, added, dropped);
  }

  private subscribe(typeUrl: string, added: string[], dropped: string[] = []): void {
    const st = this.state(typeUrl);
    if (this.transport === 'delta') {
      this.client.send({ type_url: typeUrl, resource_names_subscribe: added, resource_names_unsubscribe: dropped });
    } else {
      this.client.sendEncoded(st.sotwRequest(typeUrl));
    }
  }

  /** A SotW ACK repeats every subscribed name (as Envoy's does): the names are encoded once per
   * subscription (requests.ts), not once per ACK. */
  private ack(r: RawResponse, st: TypeState): void {
    st.nonce = r.nonce;
    if (this.transport === 'delta') {
      this.client.sendEncoded(deltaAck(r.typeUrl, r.nonce));
      return;
    }
    st.version = r.version;
    this.client.sendEncoded(st.sotwRequest(r.typeUrl));
  }

  private isSynced(): boolean {
    return [TYPE_URLS.cluster, TYPE_URLS.endpoint, TYPE_URLS.listener, TYPE_URLS.route, ...(this.sds ? [TYPE_URLS.secret] : [])].every((t) => {
      const st = this.states.get(t);
      return st?.answered && st.pending.size === 0;
    });
  }

  private finishSync(now: number): void {
    this.syncedAt = now;
    this.holdings = {
      clusters: this.state(TYPE_URLS.cluster).children.size,
      endpoints: this.state(TYPE_URLS.endpoint).subscribed.size,
      listeners: this.state(TYPE_URLS.listener).children.size,
      routes: this.state(TYPE_URLS.route).subscribed.size,
    };
    this.resolveSynced(now - this.startedAt);
  }
}
