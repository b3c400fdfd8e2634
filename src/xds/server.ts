// The gRPC side: Aggregated Discovery (SotW and delta) plus the per-type CDS/EDS/LDS/RDS/SDS
// services, all on the same connection logic. Responses are written as pre-built bytes (the
// service definitions' serializers are replaced by the identity), see wire.ts.
import * as grpc from '@grpc/grpc-js';
import type { Snapshot } from '../model/types';
import type { Proxy, ResourceSet } from '../translate/types';
import { TYPE_URLS } from '../translate/types';
import type { DeltaDiscoveryRequest__Output } from '../../proto/gen/envoy/service/discovery/v3/DeltaDiscoveryRequest';
import type { DiscoveryRequest__Output } from '../../proto/gen/envoy/service/discovery/v3/DiscoveryRequest';
import type { ProxyView, ViewCache } from './cache';
import type { Connection, ConnectionStatus, Logger } from './connection';
import { DeltaConnection } from './delta';
import { proxyOf, resolveIdentity } from './identity';
import type { XdsMetrics } from './metrics';
import { resourceTypes, serviceDefinitions } from './protos';
import { SotwConnection } from './sotw';
import { isKnownType, type TypeUrl } from './types';
import { sotwResources, sotwResponse } from './wire';

export interface XdsServerOptions {
  views: ViewCache;
  metrics: XdsMetrics;
  log: Logger;
  snapshot: () => Snapshot;
  /**
   * Serve only proxies whose Pod the model knows (Kubernetes mode): a proxy's claims about itself
   * are not trusted there. Others get empty config until their Pod appears. File mode, where a
   * laptop's Envoys often have no Pod object, serves what they claim.
   */
  requirePod?: boolean;
}

/** What a proxy without a Pod is served: nothing, at the current generation. */
function emptyView(generation: number): ProxyView {
  return { generation, resources: new Map(), json: () => ({ clusters: [], endpoints: [], listeners: [], routes: [] }) };
}

type AnyRequest = DiscoveryRequest__Output | DeltaDiscoveryRequest__Output;

const STANDALONE: [string, string, TypeUrl][] = [
  ['envoy.service.cluster.v3.ClusterDiscoveryService', 'Clusters', TYPE_URLS.cluster],
  ['envoy.service.endpoint.v3.EndpointDiscoveryService', 'Endpoints', TYPE_URLS.endpoint],
  ['envoy.service.listener.v3.ListenerDiscoveryService', 'Listeners', TYPE_URLS.listener],
  ['envoy.service.route.v3.RouteDiscoveryService', 'Routes', TYPE_URLS.route],
  ['envoy.service.secret.v3.SecretDiscoveryService', 'Secrets', TYPE_URLS.secret],
];

function preEncoded(service: grpc.ServiceDefinition): grpc.ServiceDefinition {
  return Object.fromEntries(Object.entries(service).map(([name, m]) => [name, { ...m, responseSerialize: (b: Buffer) => b }]));
}

export class XdsServer {
  private readonly server = new grpc.Server({ 'grpc.max_send_message_length': -1, 'grpc.max_receive_message_length': 16 << 20 });
  private readonly connections = new Map<string, { conn: Connection; claimed: Proxy; podless?: boolean }>();
  private seq = 0;

  constructor(private readonly opts: XdsServerOptions) {
    const defs = serviceDefinitions();
    // Loaded now rather than on the first encode, so the first proxy to connect does not wait for it.
    resourceTypes();
    const ads = preEncoded(defs['envoy.service.discovery.v3.AggregatedDiscoveryService'] as grpc.ServiceDefinition);
    this.server.addService(ads, {
      StreamAggregatedResources: (call: grpc.ServerDuplexStream<DiscoveryRequest__Output, Buffer>) => this.stream(call, 'sotw'),
      DeltaAggregatedResources: (call: grpc.ServerDuplexStream<DeltaDiscoveryRequest__Output, Buffer>) => this.stream(call, 'delta'),
    });
    for (const [service, suffix, typeUrl] of STANDALONE) {
      this.server.addService(preEncoded(defs[service] as grpc.ServiceDefinition), {
        [`Stream${suffix}`]: (call: grpc.ServerDuplexStream<DiscoveryRequest__Output, Buffer>) => this.stream(call, 'sotw', typeUrl),
        [`Delta${suffix}`]: (call: grpc.ServerDuplexStream<DeltaDiscoveryRequest__Output, Buffer>) => this.stream(call, 'delta', typeUrl),
        [`Fetch${suffix}`]: (call: grpc.ServerUnaryCall<DiscoveryRequest__Output, Buffer>, cb: grpc.sendUnaryData<Buffer>) => this.fetch(call.request, typeUrl, cb),
      });
    }
  }

  /** Binds one more address (plaintext unless `credentials` say TLS); resolves with its port. */
  listen(address: string, credentials = grpc.ServerCredentials.createInsecure()): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.bindAsync(address, credentials, (err, port) => (err ? reject(err) : resolve(port)));
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.server.forceShutdown(), 2000);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Pushes the current snapshot to every connected proxy whose view changed. */
  push(changedAt?: number): void {
    this.opts.views.setSnapshot(this.opts.snapshot());
    for (const entry of this.connections.values()) entry.conn.push({ view: this.viewOf(entry), changedAt });
  }

  status(): ConnectionStatus[] {
    return [...this.connections.values()].map(({ conn }) => conn.status());
  }

  counts(): { sotw: number; delta: number } {
    let sotw = 0;
    for (const { conn } of this.connections.values()) if (conn.transport === 'sotw') sotw++;
    return { sotw, delta: this.connections.size - sotw };
  }

  /** What Mast sends (or would send) a connected proxy, by proxy id. */
  configFor(proxyId: string): { proxy: Proxy; config: ResourceSet } | undefined {
    for (const entry of this.connections.values()) {
      if (entry.conn.proxy.id === proxyId) return { proxy: entry.conn.proxy, config: this.viewOf(entry).json() };
    }
    return undefined;
  }

  private viewOf(entry: { conn: Connection; claimed: Proxy; podless?: boolean }): ProxyView {
    const snapshot = this.opts.snapshot();
    this.opts.views.setSnapshot(snapshot);
    const { proxy, pod } = resolveIdentity(entry.claimed, snapshot);
    entry.conn.proxy = proxy;
    const podless = !pod && this.opts.requirePod === true;
    if (podless !== (entry.podless ?? false)) {
      const fields = { proxy: proxy.id, ips: proxy.ips };
      if (podless) this.opts.log.warn(fields, `no Pod has the IPs of proxy ${proxy.id} (${proxy.ips.join(', ')}); serving it nothing until one does`);
      else if (entry.podless) this.opts.log.info(fields, `the Pod of proxy ${proxy.id} appeared; serving it`);
      entry.podless = podless;
    }
    return podless ? emptyView(snapshot.generation) : this.opts.views.viewFor(proxy);
  }

  private stream(call: grpc.ServerDuplexStream<AnyRequest, Buffer>, transport: 'sotw' | 'delta', onlyType?: TypeUrl): void {
    const { log } = this.opts;
    const streamId = `${++this.seq}`;
    let entry: { conn: Connection; claimed: Proxy; podless?: boolean } | undefined;
    const close = (): void => {
      if (!entry) return;
      this.connections.delete(streamId);
      entry.conn.close();
      log.info({ proxy: entry.claimed.id, stream: streamId, transport }, 'proxy disconnected');
      entry = undefined;
    };
    call.on('data', (req: AnyRequest) => {
      try {
        if (!entry) {
          const proxy = req.node ? proxyOf(req.node) : { error: 'the first request on a stream must carry the node' };
          if ('error' in proxy) {
            log.warn({ stream: streamId, err: proxy.error }, 'refused xDS stream');
            call.emit('error', { code: grpc.status.INVALID_ARGUMENT, details: proxy.error });
            return;
          }
          const conn = transport === 'sotw'
            ? new SotwConnection(streamId, proxy, call, this.opts.metrics, log)
            : new DeltaConnection(streamId, proxy, call, this.opts.metrics, log);
          entry = { conn, claimed: proxy };
          this.connections.set(streamId, entry);
          log.info({ proxy: proxy.id, stream: streamId, transport }, 'proxy connected');
        }
        const typeUrl = req.type_url || onlyType || '';
        if (!isKnownType(typeUrl) || (onlyType && typeUrl !== onlyType)) {
          log.debug({ proxy: entry.claimed.id, type: typeUrl }, 'ignoring request for a type Mast does not serve');
          return;
        }
        const view = this.viewOf(entry);
        const typed = { ...req, type_url: typeUrl };
        if (entry.conn instanceof SotwConnection) entry.conn.onRequest(typed as DiscoveryRequest__Output, view);
        else (entry.conn as DeltaConnection).onRequest(typed as DeltaDiscoveryRequest__Output, view);
      } catch (err) {
        log.error({ stream: streamId, err: err instanceof Error ? err.stack : String(err) }, 'xDS request failed');
      }
    });
    call.on('end', () => {
      close();
      call.end();
    });
    call.on('error', close);
    call.on('cancelled', close);
  }

  private fetch(req: DiscoveryRequest__Output, typeUrl: TypeUrl, cb: grpc.sendUnaryData<Buffer>): void {
    const proxy = req.node ? proxyOf(req.node) : { error: 'a fetch must carry the node' };
    if ('error' in proxy) {
      cb({ code: grpc.status.INVALID_ARGUMENT, details: proxy.error });
      return;
    }
    const snapshot = this.opts.snapshot();
    this.opts.views.setSnapshot(snapshot);
    const { proxy: resolved, pod } = resolveIdentity(proxy, snapshot);
    const available = !pod && this.opts.requirePod ? undefined : this.opts.views.viewFor(resolved).resources.get(typeUrl);
    const names = req.resource_names.filter((n) => n !== '*');
    const chosen = [...(available?.values() ?? [])].filter((r) => names.length === 0 || names.includes(r.name));
    cb(null, sotwResponse(typeUrl, String(snapshot.generation), '', [sotwResources(chosen)]));
  }
}
