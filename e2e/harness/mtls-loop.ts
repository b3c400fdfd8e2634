// Requests between bookinfo's sidecars over mutual TLS, on connections Envoy keeps alive and on
// a new connection (a new handshake) per request, telling which certificate productpage presented
// each time: what a certificate or root rotation must get through without a failed request.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { EchoAnswer } from '../../examples/app/echo';
import type { Mesh } from './mesh';
import { waitFor, type Reply } from './net';
import { viaSidecar } from './scenario';
import { serviceWithEndpoints } from './service-yaml';

/** Envoy's x-forwarded-client-cert element (`By=...;Hash=...;URI=...`), by key; undefined when absent. */
export function xfcc(answer: EchoAnswer | undefined): Record<string, string> | undefined {
  const header = answer?.headers['x-forwarded-client-cert'];
  if (typeof header !== 'string') return undefined;
  assert.ok(!header.includes(','), `one element expected, the peer's alone: ${header}`);
  return Object.fromEntries(header.split(';').map((kv) => {
    const i = kv.indexOf('=');
    return [kv.slice(0, i), kv.slice(i + 1).replace(/^"|"$/g, '')];
  }));
}

/** The answer of `service` among the calls `answer`'s app made; fails naming every call when there is none. */
export function callTo(answer: EchoAnswer, service: string): EchoAnswer {
  const body = answer.calls.find((c) => c.body?.service === service)?.body;
  assert.ok(body, `${answer.service} reached no ${service}: ${JSON.stringify(answer.calls.map((c) => `${c.url} ${c.status} ${c.error ?? ''}`))}`);
  return body;
}

/** A GET over `agent`'s kept-alive connection. */
function getOver(agent: http.Agent, url: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, timeout: 5000 }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('timeout', () => req.destroy(new Error('no answer in 5 s')));
    req.on('error', reject);
  });
}

/** Service `details-fresh` (details' Pod) and a rule that allows one request per connection. */
function detailsFresh(details: { pod: string; ip: string }): string {
  return `${serviceWithEndpoints('details-fresh', { ports: [{ name: 'http', port: 9080, targetPort: 9080 }], selector: { app: 'details' }, endpoints: [{ ip: details.ip, pod: details.pod }] })}---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: details-fresh, namespace: default}
spec:
  host: details-fresh
  trafficPolicy:
    connectionPool:
      http: {maxRequestsPerConnection: 1}
`;
}

/** What a loop saw so far; certificates are named by XFCC's Hash (SHA-256 of their DER), in the order first seen. */
export interface LoopTally {
  requests: number;
  failures: string[];
  /** productpage's certificates as details saw them, each on a new connection. */
  fresh: Set<string>;
  /** productpage's certificates as reviews saw them, on connections productpage's sidecar keeps. */
  keptAlive: Set<string>;
  /** Requests over a kept-alive connection made with a certificate that new connections no longer see. */
  onOlderCertificate: number;
  startedAt: number;
}

export interface LoopOptions {
  /** The loop stops by itself after this long. */
  maxMs: number;
  /** Stop once this holds. */
  until?: (tally: LoopTally) => boolean;
  /** Runs while the loop does; the loop stops when it ends, and its error is the loop's. */
  during?: (tally: LoopTally) => Promise<void>;
}

/**
 * Two request loops at once until `o.until`, the end of `o.during` or `o.maxMs`: GET /productpage
 * through the gateway on one kept-alive client connection (gateway -> productpage -> reviews,
 * over connections the sidecars keep), and from productpage's sidecar to `details-fresh`, which
 * is details behind a DestinationRule allowing one request per connection: a new handshake with
 * productpage's current certificate every time. A non-200 or a hop that is not mTLS is a failure.
 */
export async function mtlsRequestLoop(mesh: Mesh, o: LoopOptions): Promise<LoopTally> {
  const freshService = detailsFresh(mesh.workload('details-v1-0'));
  await mesh.apply(freshService);
  const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    await waitFor(async () => (await viaSidecar(mesh, 'productpage-v1-0', 'details-fresh:9080')).service === 'details', 10_000, 'details-fresh served');
    const t: LoopTally = { requests: 0, failures: [], fresh: new Set(), keptAlive: new Set(), onOlderCertificate: 0, startedAt: Date.now() };
    const deadline = t.startedAt + o.maxMs;
    let running = true;
    const going = (): boolean => running && Date.now() < deadline && !o.until?.(t);
    const fail = (what: string): void => void t.failures.push(`+${Date.now() - t.startedAt} ms: ${what}`);
    const overKeptAlive = async (): Promise<void> => {
      while (going()) {
        t.requests++;
        const reply = await getOver(keepAlive, mesh.gatewayUrl()).catch((err: Error) => ({ status: 0, text: err.message }));
        if (reply.status !== 200) { fail(`gateway: ${reply.status} ${reply.text.slice(0, 200)}`); continue; }
        const hash = xfcc(callTo(JSON.parse(reply.text) as EchoAnswer, 'reviews'))?.Hash;
        if (!hash) { fail('productpage -> reviews was not mTLS'); continue; }
        t.keptAlive.add(hash);
        const latest = [...t.fresh].at(-1);
        if (latest && hash !== latest) t.onOlderCertificate++;
      }
    };
    const overFresh = async (): Promise<void> => {
      while (going()) {
        t.requests++;
        const answer = await viaSidecar(mesh, 'productpage-v1-0', 'details-fresh:9080').catch((err: Error) => fail(`details-fresh: ${err.message}`));
        if (!answer) continue;
        const hash = xfcc(answer)?.Hash;
        if (hash) t.fresh.add(hash);
        else fail('productpage -> details-fresh was not mTLS');
      }
    };
    const loops = Promise.all([overKeptAlive(), overFresh()]);
    try {
      await o.during?.(t);
    } finally {
      if (o.during) running = false;
      await loops;
    }
    return t;
  } finally {
    keepAlive.destroy();
    await mesh.delete(freshService);
    // The next loop applies the same objects: let the removal reach productpage's sidecar first.
    // Otherwise that loop's served-check can pass on this loop's cluster, and the removal and
    // re-adding land under its requests (503 no healthy upstream for a few hundred ms).
    const envoy = mesh.workload('productpage-v1-0').envoy;
    await waitFor(async () => !(await envoy.names('cluster')).some((n) => n.includes('details-fresh')), 10_000, 'details-fresh removed from productpage\'s sidecar');
  }
}
