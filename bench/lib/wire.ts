// Reads the few fields a load client needs straight from a response's bytes, without decoding
// the resources or copying any part of them. A simulated sidecar must cost far less than the
// server it loads: decoding every resource of every response (as the generic client does) made
// the client, not the server, the bottleneck at a few hundred streams.
import { Reader } from 'protobufjs';

const VARINT = 0;
const LEN = 2;

/** Where one resource's encoded message lies in a response buffer, and where its name does when
 * the envelope carries it (delta). */
export interface Span {
  start: number;
  end: number;
  nameStart?: number;
  nameEnd?: number;
  /** Where the Any's `type_url` lies, if it has one. */
  typeStart?: number;
  typeEnd?: number;
}

export interface RawResponse {
  typeUrl: string;
  /** SotW `version_info`; delta's system version is not needed. */
  version: string;
  nonce: string;
  resources: Span[];
  removed: string[];
}

// The functions run for every resource of every response are plain loops over the tags: visitor
// closures cost several times more, and made the client's profile.

/** Skips to the end of the length-delimited field at the reader's position; returns its start. */
function skipLen(r: Reader): number {
  const len = r.uint32();
  const start = r.pos;
  r.pos += len;
  return start;
}

/** The span of an Any's `value` (field 2) within the Any ending at `end`, and of its `type_url`
 * (field 1), which `misTyped` compares with the response's. */
function anyValue(r: Reader, end: number): Span {
  const span: Span = { start: end, end };
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag === ((2 << 3) | LEN)) {
      span.start = skipLen(r);
      span.end = r.pos;
    } else if (tag === ((1 << 3) | LEN)) {
      span.typeStart = skipLen(r);
      span.typeEnd = r.pos;
    } else r.skipType(tag & 7);
  }
  return span;
}

/** A delta Resource: name (3) and resource (2, an Any). */
function deltaResource(r: Reader, end: number): Span | undefined {
  const span: Span = { start: -1, end: -1, nameStart: 0, nameEnd: 0 };
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag === ((3 << 3) | LEN)) {
      span.nameStart = skipLen(r);
      span.nameEnd = r.pos;
    } else if (tag === ((2 << 3) | LEN)) {
      const any = anyValue(r, r.uint32() + r.pos);
      Object.assign(span, { start: any.start, end: any.end, typeStart: any.typeStart, typeEnd: any.typeEnd });
    } else r.skipType(tag & 7);
  }
  return span.start < 0 ? undefined : span;
}

/** A DiscoveryResponse (SotW) or DeltaDiscoveryResponse: the two share field numbers 2, 4 and 5. */
export function readResponse(buf: Buffer, delta: boolean): RawResponse {
  const r = Reader.create(buf);
  const out: RawResponse = { typeUrl: '', version: '', nonce: '', resources: [], removed: [] };
  while (r.pos < r.len) {
    const tag = r.uint32();
    const field = tag >>> 3;
    if ((tag & 7) !== LEN) r.skipType(tag & 7);
    else if (field === 2) {
      const end = r.uint32() + r.pos;
      const span = delta ? deltaResource(r, end) : anyValue(r, end);
      if (span) out.resources.push(span);
      r.pos = end;
    } else if (field === 1 && !delta) out.version = r.string();
    else if (field === 4) out.typeUrl = r.string();
    else if (field === 5) out.nonce = r.string();
    else if (field === 6 && delta) out.removed.push(r.string());
    else r.skipType(LEN);
  }
  return out;
}

/** The type URLs responses carry (a handful), as bytes to compare resources' with. */
const typeUrlBytes = new Map<string, Buffer>();

/** How many of the response's resources are not of its `type_url` (an Any without a type URL
 * counts): Envoy rejects such a response (NACK), as it does one it cannot decode. */
export function misTyped(buf: Buffer, r: RawResponse): number {
  let want = typeUrlBytes.get(r.typeUrl);
  if (!want) typeUrlBytes.set(r.typeUrl, (want = Buffer.from(r.typeUrl)));
  let wrong = 0;
  for (const s of r.resources) {
    if (s.typeStart === undefined || want.compare(buf, s.typeStart, s.typeEnd) !== 0) wrong++;
  }
  return wrong;
}

function at(buf: Buffer, start: number): Reader {
  const r = Reader.create(buf);
  r.pos = start;
  return r;
}

/** Where the resource's name lies: the delta envelope's, else field 1, which names every type
 * here (Cluster, Listener, RouteConfiguration `name`, ClusterLoadAssignment `cluster_name`). */
function nameRange(buf: Buffer, s: Span): [number, number] {
  if (s.nameStart !== undefined) return [s.nameStart, s.nameEnd!];
  const r = at(buf, s.start);
  while (r.pos < s.end) {
    const tag = r.uint32();
    if (tag === ((1 << 3) | LEN)) {
      const start = skipLen(r);
      return [start, r.pos];
    }
    r.skipType(tag & 7);
  }
  return [0, 0];
}

export function resourceName(buf: Buffer, s: Span): string {
  const [start, end] = nameRange(buf, s);
  return buf.toString('utf8', start, end);
}

/** Visits the fields of the message that ends at `end`; `visit` consumes a field it accepts.
 * For the rarer reads: a listener's route names, one watched ClusterLoadAssignment. */
function fields(r: Reader, end: number, visit: (field: number, wireType: number) => boolean): void {
  while (r.pos < end) {
    const tag = r.uint32();
    if (!visit(tag >>> 3, tag & 7)) r.skipType(tag & 7);
  }
}

/** Enters the length-delimited field at the reader's position: returns where it ends. */
function enter(r: Reader): number {
  const len = r.uint32();
  return r.pos + len;
}

const CLUSTER_TYPE_EDS = 3;

/** A Cluster's name and the EDS name it subscribes to (eds_cluster_config.service_name, else its
 * own name), or no EDS name for a cluster that is not of type EDS. */
export function clusterNames(buf: Buffer, s: Span): { name: string; eds: string | undefined } {
  const r = at(buf, s.start);
  let name = '';
  let type = 0;
  let serviceName = '';
  while (r.pos < s.end) {
    const tag = r.uint32();
    if (tag === ((1 << 3) | LEN)) name = r.string();
    else if (tag === ((2 << 3) | VARINT)) type = r.int32();
    else if (tag === ((3 << 3) | LEN)) {
      // EdsClusterConfig: service_name (2)
      const end = r.uint32() + r.pos;
      while (r.pos < end) {
        const inner = r.uint32();
        if (inner === ((2 << 3) | LEN)) serviceName = r.string();
        else r.skipType(inner & 7);
      }
    } else r.skipType(tag & 7);
  }
  if (s.nameStart !== undefined) name = resourceName(buf, s);
  return { name, eds: type === CLUSTER_TYPE_EDS ? serviceName || name : undefined };
}

/** Calls `leaf` at each occurrence of the field path `path` (all length-delimited, from
 * `path[depth]` on) within the message ending at `end`; `leaf` must consume the last field. A
 * plain loop: it runs on every watched ClusterLoadAssignment of a churn. */
function walk(r: Reader, end: number, path: readonly number[], leaf: (r: Reader) => void, depth = 0): void {
  const want = (path[depth]! << 3) | LEN;
  const last = depth === path.length - 1;
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag !== want) r.skipType(tag & 7);
    else if (last) leaf(r);
    else walk(r, enter(r), path, leaf, depth + 1);
  }
}

const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
// Listener.filter_chains (3) or .default_filter_chain (25) -> FilterChain.filters (3) -> Filter.typed_config (4)
const FILTER_CONFIGS = [[3, 3, 4], [25, 3, 4]] as const;
// HttpConnectionManager.rds (3) -> Rds.route_config_name (2)
const RDS_NAME = [3, 2] as const;

/** The route configs a listener's HTTP connection managers fetch over RDS. */
export function routeConfigNames(buf: Buffer, s: Span): string[] {
  const names: string[] = [];
  for (const path of FILTER_CONFIGS) {
    walk(at(buf, s.start), s.end, path, (any) => {
      let typeUrl = '';
      fields(any, enter(any), (f, wt) => {
        if (f === 1 && wt === LEN) typeUrl = any.string();
        // Encoders write type_url (1) before value (2).
        else if (f === 2 && wt === LEN && typeUrl === HCM) walk(any, enter(any), RDS_NAME, (n) => names.push(n.string()));
        else return false;
        return true;
      });
    });
  }
  return names;
}

// ClusterLoadAssignment.endpoints (2) -> .lb_endpoints (2) -> LbEndpoint.endpoint (1)
// -> Endpoint.address (1) -> Address.socket_address (1) -> SocketAddress.address (2)
const ENDPOINT_ADDRESS = [2, 2, 1, 1, 1, 2] as const;

/** The endpoint addresses a ClusterLoadAssignment lists, in order. */
export function endpointAddresses(buf: Buffer, s: Span): string[] {
  const found: string[] = [];
  walk(at(buf, s.start), s.end, ENDPOINT_ADDRESS, (a) => found.push(a.string()));
  return found;
}
