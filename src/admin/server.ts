// The admin and debug HTTP server. It only reads state; nothing here changes the model or pushes.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import type { Diagnostic } from '../model/types';
import type { ViewError } from '../xds/cache';
import type { ConnectionStatus } from '../xds/connection';
import type { Proxy, ResourceSet } from '../translate/types';

export interface AdminSources {
  ready(): boolean;
  /** Why Mast cannot do its job until it restarts (a listener it was asked for failed to start). */
  broken(): string | undefined;
  syncz(): ConnectionStatus[];
  configFor(proxyId: string): { proxy: Proxy; config: ResourceSet } | undefined;
  diagnostics(): Diagnostic[];
  translationErrors(): ViewError[];
  generation(): number;
  exporter: PrometheusExporter;
  /**
   * Guards `/debug/*` (Kubernetes mode: src/server/debug-access.ts): given the request's
   * `authorization` header and the route's path, why it is refused, or undefined to serve it.
   * Without it /debug is open, as on a loopback-bound file-mode admin address.
   */
  debugAccess?(authorization: string | undefined, path: string): Promise<{ status: number; reason: string } | undefined>;
}

export function createAdminServer(src: AdminSources, logger: FastifyBaseLogger): FastifyInstance {
  const app = Fastify({ loggerInstance: logger, disableRequestLogging: true });

  // Failing liveness is how a replica with a dead webhook or TLS port gets restarted, rather than
  // staying in the Service and failing every admission call and TLS proxy sent to it.
  app.get('/healthz', async (_req, reply) => {
    const reason = src.broken();
    if (reason) return reply.code(503).send({ status: 'failed', reason });
    return { status: 'ok' };
  });

  app.get('/readyz', async (_req, reply) => {
    const reason = src.broken();
    if (reason) return reply.code(503).send({ status: 'failed', reason });
    if (!src.ready()) return reply.code(503).send({ status: 'starting' });
    return { status: 'ready', generation: src.generation() };
  });

  app.get('/metrics', (req, reply) => {
    reply.hijack();
    src.exporter.getMetricsRequestHandler(req.raw, reply.raw);
  });

  // On the matched route, not the raw URL, so no spelling of a /debug path gets past it.
  const { debugAccess } = src;
  if (debugAccess) {
    app.addHook('onRequest', async (req, reply) => {
      const route = req.routeOptions.url;
      if (!route?.startsWith('/debug/')) return;
      const refused = await debugAccess(req.headers.authorization, route);
      if (refused) {
        if (refused.status === 401) void reply.header('www-authenticate', 'Bearer');
        await reply.code(refused.status).send({ error: refused.reason });
      }
    });
  }

  app.get('/debug/syncz', async () => ({ generation: src.generation(), proxies: src.syncz() }));

  app.get<{ Querystring: { proxy?: string } }>('/debug/config_dump', async (req, reply) => {
    const id = req.query.proxy;
    if (!id) return reply.code(400).send({ error: 'name a proxy: /debug/config_dump?proxy=ID (ids are listed by /debug/syncz)' });
    const found = src.configFor(id);
    if (!found) {
      return reply.code(404).send({ error: `proxy "${id}" is not connected`, connected: src.syncz().map((s) => s.proxyId) });
    }
    return { generation: src.generation(), proxy: found.proxy, ...found.config };
  });

  app.get('/debug/diagnostics', async () => ({
    generation: src.generation(),
    diagnostics: src.diagnostics(),
    translationErrors: src.translationErrors(),
  }));

  return app;
}
