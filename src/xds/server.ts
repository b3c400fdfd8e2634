// The gRPC side: Aggregated Discovery (SotW and delta) plus the per-type CDS/EDS/LDS/RDS/SDS
// services (registered in discovery-services.ts), all on the same connection logic: admission,
// each stream's entry and view, pushes.
import * as grpc from '@grpc/grpc-js';
import type { Snapshot } from '../model/types';
import type { Proxy, ResourceSet } from '../translate/types';
import { TYPE_URLS } from '../translate/types';
import type { DeltaDiscoveryRequest__Output } from '../../proto/gen/envoy/service/discovery/v3/DeltaDiscoveryRequest';
import type { DiscoveryRequest__Output } from '../../proto/gen/envoy/service/discovery/v3/DiscoveryRequest';
import { admit, isRefusal, mismatch, refusalStatus, type Refusal, type XdsAuthenticator } from './authn';
import type { ProxyView, ViewCache } from './cache';
import type { ConnectionStatus, Logger } from './connection';
import { DeltaConnection } from './delta';
import { proxyOf, resolveIdentity } from './identity';
import { entryView, type Entry } from './proxy-entry';
import type { XdsMetrics } from './metrics';
import type { SdsSecrets } from './secrets';
import { resourceTypes } from '../envoy-api/protos';
import { discoveryServer, type AnyRequest } from './discovery-services';
import { SotwConnection } from './sotw';
import { isKnownType, type TypeUrl } from './types';
import { fetchResources } from './fetch';
import { listenXds, type XdsListener } from './listener';
import { DEFAULT_INFLIGHT_BYTES, InflightBudget } from './inflight';
import { DEFAULT_XDS_LIMITS, LimitExceeded, XdsLimiter, type XdsLimits } from './limits';
import { inSpan, tracedContext } from '../telemetry/tracing';

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
  /**
   * Authenticated xDS (authn.ts): a stream on a listener bound without `open` must carry a token
   * this accepts, and is served only while the proxy it claims is the identity it proved.
   */
  authenticator?: XdsAuthenticator;
  /** SDS (secrets.ts): a stream that asks for secrets is sent its identity's `default` and `ROOTCA`. */
  secrets?: SdsSecrets;
  /**
   * Response bytes written to streams and not yet taken by HTTP/2, across all streams
   * (`--xds-inflight-bytes`, inflight.ts); DEFAULT_INFLIGHT_BYTES if unset.
   */
  inflightBytes?: number;
  /** What one client may make Mast hold (limits.ts; `mast serve --xds-max-*`); DEFAULT_XDS_LIMITS if unset. */
  limits?: XdsLimits;
}

export class XdsServer {
  /** One gRPC server for authenticated listeners, one for open ones: a call cannot tell which port it came in on. */
  private readonly servers: { authenticated?: grpc.Server; open?: grpc.Server } = {};
  private readonly listeners: XdsListener[] = [];
  private readonly connections = new Map<string, Entry>();
  private seq = 0;
  /**
   * What requests are answered from: the last push's snapshot, as istiod answers them from the
   * proxy's LastPushContext (pilot/pkg/xds/ads.go processRequest). A change reaches proxies only
   * through its own (traced) push, never by a request between it and its debounced push.
   */
  private served: Snapshot | undefined;
  private readonly budget: InflightBudget;
  private readonly limiter: XdsLimiter;

  constructor(private readonly opts: XdsServerOptions) {
    // Loaded now rather than on the first encode, so the first proxy to connect does not wait for it.
    resourceTypes();
    this.budget = new InflightBudget(opts.inflightBytes ?? DEFAULT_INFLIGHT_BYTES);
    opts.metrics.observeInflight(this.budget);
    this.limiter = new XdsLimiter(opts.limits ?? DEFAULT_XDS_LIMITS, opts.log, opts.metrics);
    opts.secrets?.onChange((streams) => this.pushSecrets(streams));
  }

  /** Pushes secrets to `streams` (an identity's certificate, a credential changed), or to all (the bundle changed). */
  private pushSecrets(streams: readonly string[] | undefined): void {
    for (const entry of this.connections.values()) {
      if (!entry.sds || (streams !== undefined && !streams.includes(entry.conn.id))) continue;
      const view = this.viewOf(entry);
      if (view) entry.conn.push({ view });
    }
  }

  /** The server for listeners that authenticate (`open` false) or not, made on first use. */
  private serverFor(open: boolean): grpc.Server {
    const authenticator = open ? undefined : this.opts.authenticator;
    const key = authenticator ? 'authenticated' : 'open';
    const existing = this.servers[key];
    if (existing) return existing;
    const server = discoveryServer(this.limiter.limits, {
      stream: (call, transport, onlyType) => this.stream(call, authenticator, transport, onlyType),
      fetch: (call, typeUrl, cb) =>
        void fetchResources({ ...this.opts, snapshot: () => this.servedSnapshot() }, { call, authenticator, typeUrl, cb, refused: (proxyId, reason) => this.refusalLog(proxyId, `fetch-${++this.seq}`, reason) }),
    });
    this.servers[key] = server;
    return server;
  }

  /**
   * Binds one more address (plaintext unless `credentials` say TLS); resolves with its port. With
   * an authenticator, streams there must authenticate unless `open` is set (`--insecure-xds`).
   */
  async listen(address: string, credentials = grpc.ServerCredentials.createInsecure(), o: { open?: boolean } = {}): Promise<number> {
    const listener = await listenXds(this.serverFor(o.open ?? false), address, credentials, (err) => this.opts.log.error({ err, address }, 'xDS listener error'));
    this.listeners.push(listener);
    return listener.port;
  }

  async close(): Promise<void> {
    const shutdown = (server: grpc.Server): Promise<void> => new Promise((resolve) => {
      const timer = setTimeout(() => server.forceShutdown(), 2000);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    // A listener's close ends once its connections have: after the servers have ended their sessions.
    const listeners = this.listeners.splice(0).map((l) => l.close());
    await Promise.all(Object.values(this.servers).map(shutdown));
    await Promise.all(listeners);
  }

  /**
   * Pushes the current snapshot to every connected proxy whose view changed: every view is
   * rebuilt first (one `rebuild` span when the push is traced), then each stream is brought up to
   * its view, carrying the push's trace to its sends and ACKs.
   */
  push(changedAt?: number): void {
    const snapshot = this.opts.snapshot();
    this.served = snapshot;
    const views = inSpan(() => 'rebuild', () => ({ 'mast.generation': snapshot.generation, 'mast.streams': this.connections.size }), () => {
      this.opts.views.setSnapshot(snapshot);
      return [...this.connections.values()].map((entry) => [entry, this.viewOf(entry)] as const);
    });
    const trace = tracedContext();
    for (const [entry, view] of views) if (view) entry.conn.push({ view, changedAt, trace });
  }

  status(): ConnectionStatus[] {
    return [...this.statuses()];
  }

  /**
   * Each stream's status, made only as it is read (/debug/syncz streams them): `limit` of them
   * from the `offset`th on, in the order the streams opened.
   */
  *statuses(page: { offset: number; limit: number } = { offset: 0, limit: Infinity }): Generator<ConnectionStatus> {
    let i = 0;
    for (const { conn } of this.connections.values()) {
      if (i >= page.offset + page.limit) return;
      if (i++ >= page.offset) yield conn.status();
    }
  }

  counts(): { sotw: number; delta: number } {
    let sotw = 0;
    for (const { conn } of this.connections.values()) if (conn.transport === 'sotw') sotw++;
    return { sotw, delta: this.connections.size - sotw };
  }

  /** What Mast sends (or would send) a connected proxy, by proxy id. */
  configFor(proxyId: string): { proxy: Proxy; config: ResourceSet } | undefined {
    for (const entry of this.connections.values()) {
      const view = entry.conn.proxy.id === proxyId ? this.viewOf(entry) : undefined;
      if (view) return { proxy: entry.conn.proxy, config: view.json() };
    }
    return undefined;
  }

  /** The proxy's view now (proxy-entry.ts), from the served snapshot. */
  private viewOf(entry: Entry): ProxyView | undefined {
    return entryView(entry, this.servedSnapshot(), this.opts);
  }

  /** The last push's snapshot; before the first push, the newest, kept until a push. */
  private servedSnapshot(): Snapshot {
    return (this.served ??= this.opts.snapshot());
  }

  private refusalLog(proxyId: string | undefined, streamId: string, reason: string): void {
    this.opts.log.warn({ proxy: proxyId, stream: streamId, reason }, `refused xDS stream${proxyId ? ` of proxy ${proxyId}` : ''}: ${reason}`);
  }

  private stream(call: grpc.ServerDuplexStream<AnyRequest, Buffer>, authenticator: XdsAuthenticator | undefined, transport: 'sotw' | 'delta', onlyType?: TypeUrl): void {
    const { log } = this.opts;
    const streamId = `${++this.seq}`;
    // Checked from the start, while the first request (which names the proxy) is on its way.
    const admission = authenticator && admit(authenticator, call.metadata);
    let entry: Entry | undefined;
    let ended = false;
    let release: (() => void) | undefined;
    const close = (): void => {
      ended = true;
      release?.();
      if (!entry) return;
      this.connections.delete(streamId);
      this.opts.secrets?.release(streamId);
      entry.conn.close();
      log.info({ proxy: entry.claimed.id, stream: streamId, transport }, 'proxy disconnected');
      entry = undefined;
    };
    const fail = (code: grpc.status, details: string): void => {
      close();
      call.emit('error', { code, details });
    };
    const refuse = (proxyId: string | undefined, r: Refusal): void => {
      if (ended) return;
      this.refusalLog(proxyId, streamId, r.refused);
      fail(refusalStatus(r), r.refused);
    };
    const open = async (req: AnyRequest): Promise<Entry | undefined> => {
      const proxy = req.node ? proxyOf(req.node) : { error: 'the first request on a stream must carry the node' };
      if ('error' in proxy) {
        log.warn({ stream: streamId, err: proxy.error }, 'refused xDS stream');
        fail(grpc.status.INVALID_ARGUMENT, proxy.error);
        return undefined;
      }
      const proof = await admission;
      if (ended) return undefined;
      if (proof && isRefusal(proof)) return void refuse(proxy.id, proof);
      const wrong = proof && mismatch(proof, resolveIdentity(proxy, this.opts.snapshot()), this.opts.requirePod);
      if (wrong) return void refuse(proxy.id, { refused: wrong, code: 'denied' });
      release = this.limiter.open(proxy.id);
      const { limits } = this.limiter;
      const conn = transport === 'sotw'
        ? new SotwConnection(streamId, proxy, call, this.opts.metrics, log, limits, this.budget)
        : new DeltaConnection(streamId, proxy, call, this.opts.metrics, log, limits, this.budget);
      const opened: Entry = { conn, claimed: proxy, identity: proof, insecure: !authenticator && this.opts.authenticator !== undefined, revoke: (reason) => refuse(proxy.id, { refused: reason, code: 'denied' }) };
      this.connections.set(streamId, opened);
      log.info({ proxy: proxy.id, stream: streamId, transport, ...(proof && { identity: `${proof.namespace}/${proof.serviceAccount}`, by: proof.by }) }, 'proxy connected');
      return opened;
    };
    const handle = async (req: AnyRequest | LimitExceeded): Promise<void> => {
      try {
        if (ended) return;
        if (req instanceof LimitExceeded) throw req;
        entry ??= await open(req);
        if (!entry || ended) return;
        const typeUrl = req.type_url || onlyType || '';
        if (!isKnownType(typeUrl) || (onlyType && typeUrl !== onlyType)) {
          log.debug({ proxy: entry.claimed.id, type: typeUrl }, 'ignoring request for a type Mast does not serve');
          return;
        }
        if (typeUrl === TYPE_URLS.secret) {
          entry.sds = true;
          this.opts.secrets?.noteRequest(entry.conn.id, req);
        }
        const view = this.viewOf(entry);
        if (!view) return;
        const typed = { ...req, type_url: typeUrl };
        if (entry.conn instanceof SotwConnection) entry.conn.onRequest(typed as DiscoveryRequest__Output, view);
        else (entry.conn as DeltaConnection).onRequest(typed as DeltaDiscoveryRequest__Output, view);
      } catch (err) {
        if (err instanceof LimitExceeded) {
          this.limiter.refused(err, entry?.claimed.id ?? (req instanceof LimitExceeded ? req.proxyId : req.node?.id), streamId);
          return fail(err.code, err.message);
        }
        log.error({ stream: streamId, err: err instanceof Error ? err.stack : String(err) }, 'xDS request failed');
      }
    };
    // In order: requests after the first wait for it, and it for the stream's admission.
    let queue = Promise.resolve();
    call.on('data', (req: AnyRequest | LimitExceeded) => {
      queue = queue.then(() => handle(req));
    });
    call.on('end', () => {
      close();
      call.end();
    });
    call.on('error', close);
    call.on('cancelled', close);
  }
}
