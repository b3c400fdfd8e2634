// The admin and debug HTTP server. It only reads state; nothing here changes the model or pushes.
// Answers that grow with the proxies or the config are streamed (json-stream.ts), so one read
// costs one element at a time, not the whole answer.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import type { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import type { Diagnostic } from '../model/types';
import type { ViewError } from '../xds/cache';
import type { ConnectionStatus } from '../xds/connection';
import type { Proxy, ResourceSet } from '../translate/types';
import { jsonStream, streamed } from './json-stream';

export interface AdminSources {
  ready(): boolean;
  /** Why Mast cannot do its job until it restarts (a listener it was asked for failed to start). */
  broken(): string | undefined;
  /** Each stream's status (or `page.limit` of them from the `page.offset`th on), made as it is read (XdsServer.statuses). */
  syncz(page?: { offset: number; limit: number }): Iterable<ConnectionStatus>;
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
  const app = Fastify({ loggerInstance: logger, logController: new LogController({ disableRequestLogging: true }) });

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

  // Every proxy, or with `?offset=N&limit=M` the M from the Nth on (in connection order).
  app.get<{ Querystring: { offset?: string; limit?: string } }>('/debug/syncz', async (req, reply) => {
    const { offset, limit } = req.query;
    if (offset === undefined && limit === undefined) return json(reply, { generation: src.generation(), proxies: streamed(src.syncz()) });
    const page = { offset: Number(offset ?? 0), limit: Number(limit ?? Infinity) };
    if (!(Number.isSafeInteger(page.offset) && page.offset >= 0 && page.limit > 0 && (Number.isSafeInteger(page.limit) || page.limit === Infinity))) {
      return reply.code(400).send({ error: 'offset must be a whole number from 0 and limit one from 1: /debug/syncz?offset=0&limit=100' });
    }
    return json(reply, { generation: src.generation(), offset: page.offset, proxies: streamed(src.syncz(page)) });
  });

  app.get<{ Querystring: { proxy?: string } }>('/debug/config_dump', async (req, reply) => {
    const id = req.query.proxy;
    if (!id) return reply.code(400).send({ error: 'name a proxy: /debug/config_dump?proxy=ID (ids are listed by /debug/syncz)' });
    const found = src.configFor(id);
    if (!found) return json(reply.code(404), { error: `proxy "${id}" is not connected`, connected: streamed(map(src.syncz(), (s) => s.proxyId)) });
    const config = Object.entries(found.config).map(([k, v]) => [k, Array.isArray(v) ? streamed(v) : v]);
    return json(reply, { generation: src.generation(), proxy: found.proxy, ...Object.fromEntries(config) });
  });

  app.get('/debug/diagnostics', async (_req, reply) => json(reply, {
    generation: src.generation(),
    diagnostics: streamed(src.diagnostics()),
    translationErrors: streamed(src.translationErrors()),
  }));

  return app;
}

/** Sends `fields` as JSON, written as it is read (json-stream.ts). */
function json(reply: FastifyReply, fields: Record<string, unknown>): FastifyReply {
  return reply.type('application/json; charset=utf-8').send(jsonStream(fields));
}

function* map<T, U>(items: Iterable<T>, f: (t: T) => U): Generator<U> {
  for (const item of items) yield f(item);
}
