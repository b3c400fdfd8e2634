// The gRPC services Mast registers for xDS, apart from what a stream does (server.ts): the
// Aggregated Discovery Service (SotW and delta) and the per-type CDS/EDS/LDS/RDS/SDS/ECDS services
// with their unary Fetch, all on one grpc.Server. Kept apart so server.ts holds the connection
// bookkeeping alone. Responses are written as pre-built bytes (the service definitions' serializers
// are replaced by the identity, see wire.ts), and oversized streamed requests are refused from
// their bytes (limits.ts).
import * as grpc from '@grpc/grpc-js';
import { TYPE_URLS } from '../translate/types';
import type { DeltaDiscoveryRequest__Output } from '../../proto/gen/envoy/service/discovery/v3/DeltaDiscoveryRequest';
import type { DiscoveryRequest__Output } from '../../proto/gen/envoy/service/discovery/v3/DiscoveryRequest';
import { serviceDefinitions } from '../envoy-api/protos';
import { decodeCallsWith, dropDecodedChunks } from './grpc-reads';
import { NAME_FIELDS, refusedBeforeDecoding, type LimitExceeded, type XdsLimits } from './limits';
import { NamesDecoder } from './names-decoder';
import { RepeatedNames } from './repeated-names';
import type { TypeUrl } from './types';
import type { ResponseBytes } from './wire';

/** A request on any discovery stream: SotW or delta. */
export type AnyRequest = DiscoveryRequest__Output | DeltaDiscoveryRequest__Output;

/** What the services call: a stream (of `transport`; `onlyType` on a per-type service) or a unary Fetch. */
export interface DiscoveryHandlers {
  stream(call: grpc.ServerDuplexStream<AnyRequest, Buffer>, transport: 'sotw' | 'delta', onlyType?: TypeUrl): void;
  fetch(call: grpc.ServerUnaryCall<DiscoveryRequest__Output, Buffer>, typeUrl: TypeUrl, cb: grpc.sendUnaryData<Buffer>): void;
}

const STANDALONE: [string, string, TypeUrl][] = [
  ['envoy.service.cluster.v3.ClusterDiscoveryService', 'Clusters', TYPE_URLS.cluster],
  ['envoy.service.endpoint.v3.EndpointDiscoveryService', 'Endpoints', TYPE_URLS.endpoint],
  ['envoy.service.listener.v3.ListenerDiscoveryService', 'Listeners', TYPE_URLS.listener],
  ['envoy.service.route.v3.RouteDiscoveryService', 'Routes', TYPE_URLS.route],
  ['envoy.service.secret.v3.SecretDiscoveryService', 'Secrets', TYPE_URLS.secret],
  ['envoy.service.extension.v3.ExtensionConfigDiscoveryService', 'ExtensionConfigs', TYPE_URLS.extensionConfig],
];

/** `limits`: a streamed request with too many names is refused from its bytes, never decoded (limits.ts); the handler ends the stream. */
function preEncoded(service: grpc.ServiceDefinition, limits: XdsLimits): grpc.ServiceDefinition {
  return Object.fromEntries(Object.entries(service).map(([name, m]) => {
    const fields = NAME_FIELDS[name.startsWith('Delta') ? 'delta' : 'sotw'];
    const requestDeserialize = !m.requestStream
      ? m.requestDeserialize
      : fields === NAME_FIELDS.sotw
        ? sotwMethod(m.requestDeserialize, limits)
        : (b: Buffer) => refusedBeforeDecoding(b, fields, limits) ?? m.requestDeserialize(b);
    // A ResponseBytes goes to grpc-js' framing as is, typed as the Buffer grpc-js declares: it reads
    // only byteLength and copy(), which copies the pieces into the framed message (wire.ts).
    return [name, { ...m, requestDeserialize, responseSerialize: (b: Buffer | ResponseBytes) => b as Buffer }];
  }));
}

/** How a SotW method reads its requests: the deserializer and the decoder of its calls' DATA. */
export interface SotwReader {
  deserialize(b: Buffer): DiscoveryRequest__Output | LimitExceeded;
  decoder(maxLength: number): NamesDecoder;
}

/**
 * A SotW method's reader from its deserializer `decode`: a request repeating a recent one's names
 * (every ACK does) reuses them (repeated-names.ts), and its calls' DATA is read by a NamesDecoder,
 * which recognises those names as they arrive and keeps none of their bytes (names-decoder.ts).
 * A request with more names than `limits` allow is refused from its bytes (limits.ts).
 */
export function sotwReader(decode: (b: Buffer) => DiscoveryRequest__Output, limits: XdsLimits): SotwReader {
  const names = new RepeatedNames(decode);
  return {
    deserialize(b) {
      const whole = names.streamed(b);
      if (!Buffer.isBuffer(whole)) return whole;
      return names.reused(whole) ?? refusedBeforeDecoding(whole, NAME_FIELDS.sotw, limits) ?? names.decoded(whole);
    },
    decoder: (maxLength) => new NamesDecoder(maxLength, names.runs),
  };
}

/** A SotW method's deserializer; its calls read their DATA with the reader's decoder. */
function sotwMethod(decode: (b: Buffer) => DiscoveryRequest__Output, limits: XdsLimits): (b: Buffer) => DiscoveryRequest__Output | LimitExceeded {
  const reader = sotwReader(decode, limits);
  const deserialize = (b: Buffer) => reader.deserialize(b);
  decodeCallsWith(deserialize, reader.decoder);
  return deserialize;
}

const GRPC_OPTIONS = { 'grpc.max_send_message_length': -1, 'grpc.max_receive_message_length': 16 << 20 };

/**
 * A grpc.Server with ADS (envoy/service/discovery/v3/ads.proto) and every per-type service
 * (StreamX, DeltaX and FetchX of envoy/service/{cluster,endpoint,...}/v3/*_discovery.proto)
 * added, each calling `handlers`; a streamed request over `limits` is refused before decoding.
 * Not yet bound to any address.
 */
export function discoveryServer(limits: XdsLimits, handlers: DiscoveryHandlers): grpc.Server {
  // A stream keeps nothing of its client's requests once they are decoded (grpc-reads.ts).
  dropDecodedChunks();
  const server = new grpc.Server(GRPC_OPTIONS);
  const defs = serviceDefinitions();
  const ads = preEncoded(defs['envoy.service.discovery.v3.AggregatedDiscoveryService'] as grpc.ServiceDefinition, limits);
  server.addService(ads, {
    StreamAggregatedResources: (call: grpc.ServerDuplexStream<DiscoveryRequest__Output, Buffer>) => handlers.stream(call, 'sotw'),
    DeltaAggregatedResources: (call: grpc.ServerDuplexStream<DeltaDiscoveryRequest__Output, Buffer>) => handlers.stream(call, 'delta'),
  });
  for (const [service, suffix, typeUrl] of STANDALONE) {
    server.addService(preEncoded(defs[service] as grpc.ServiceDefinition, limits), {
      [`Stream${suffix}`]: (call: grpc.ServerDuplexStream<DiscoveryRequest__Output, Buffer>) => handlers.stream(call, 'sotw', typeUrl),
      [`Delta${suffix}`]: (call: grpc.ServerDuplexStream<DeltaDiscoveryRequest__Output, Buffer>) => handlers.stream(call, 'delta', typeUrl),
      [`Fetch${suffix}`]: (call: grpc.ServerUnaryCall<DiscoveryRequest__Output, Buffer>, cb: grpc.sendUnaryData<Buffer>) => handlers.fetch(call, typeUrl, cb),
    });
  }
  return server;
}
