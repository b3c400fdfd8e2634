// Requests, polling and sampling for tests that observe the mesh from outside, as a user would.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

export interface GetOptions {
  /** The Host header, which is what Envoy routes on (`reviews:9080`). */
  host?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

/**
 * One GET on a connection of its own: a reused keep-alive connection could be closed by Envoy
 * (draining a replaced listener) just as a request is written, a failure of the client and not
 * of the mesh.
 */
export function get(url: string, o: GetOptions = {}): Promise<Reply> {
  const headers = { ...o.headers, ...(o.host ? { host: o.host } : {}) };
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers, agent: false, timeout: o.timeoutMs ?? 3000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer in ${o.timeoutMs ?? 3000} ms`)));
    req.on('error', reject);
  });
}

/** Like `get`, but parses the body as JSON and fails on a non-2xx status. */
export async function getJson<T>(url: string, o: GetOptions = {}): Promise<T> {
  const r = await get(url, o);
  if (r.status < 200 || r.status > 299) throw new Error(`GET ${url} (host ${o.host ?? '-'}): ${r.status} ${r.text.slice(0, 300)}`);
  return JSON.parse(r.text) as T;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `predicate` until it returns true; resolves with the milliseconds it took. A throwing
 * predicate counts as false, and its last error is in the timeout message.
 */
export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs: number, what = 'condition', intervalMs = 50): Promise<number> {
  const start = performance.now();
  let last = '';
  for (;;) {
    try {
      if (await predicate()) return performance.now() - start;
    } catch (err) {
      last = `: ${(err as Error).message}`;
    }
    if (performance.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last}`);
    await sleep(intervalMs);
  }
}

/** Calls `fn` n times (`concurrency` at once) and counts the keys it returns, e.g. versions. */
export async function sampleSplit(n: number, fn: () => Promise<string>, concurrency = 4): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  let started = 0;
  const worker = async (): Promise<void> => {
    while (started < n) {
      started++;
      const key = await fn();
      counts[key] = (counts[key] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  return counts;
}

/** Ports freePort has given this process, never given again (about 12,700 to pick from). */
const handedOut = new Set<number>();

/**
 * A port that was free on `host` a moment ago (the caller binds it next), picked at random from
 * 20100 up to the kernel's ephemeral range (net.ipv4.ip_local_port_range, 32768-60999 by
 * default). A port the OS picks (`listen(0)`) is an ephemeral one, which any outgoing connection
 * (an Envoy's, a kube client's) may take as its source port before the caller binds it: Mast then
 * exited with EADDRINUSE in a clean run. Below that range only another listener can take it, and
 * each pick is checked to bind; above 20100, so that it never takes a fixed port the tests listen
 * on themselves (Istio's 15000-15443, gateways' 10443-18443, Jaeger's 16686). A port is handed
 * out once per process: two picks made before either is bound (a Mast's TLS and admin ports)
 * both found the same free port once, and that Mast exited with EADDRINUSE in a clean run.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const [low, span] = [20_100, ephemeralStart() - 20_100];
  for (let attempt = 0; span > 1000 && attempt < 100; attempt++) {
    const port = low + Math.floor(Math.random() * span);
    if (handedOut.has(port) || !(await binds(host, port))) continue;
    handedOut.add(port);
    return port;
  }
  return listenZero(host); // a kernel whose ephemeral range starts low: the OS's pick, as before
}


let ephemeralLow: number | undefined;

/** The first port of the kernel's ephemeral range (this network namespace's). */
function ephemeralStart(): number {
  if (ephemeralLow === undefined) {
    try {
      ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32768;
    } catch {
      ephemeralLow = 32768;
    }
  }
  return ephemeralLow;
}

function binds(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

function listenZero(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
