// A real Zipkin (`make zipkin`: io.zipkin:zipkin-server's exec jar from Maven Central, run with
// `java -jar`) with its default in-memory storage, receiving Zipkin v2 spans on /api/v2/spans and
// serving its own UI under /zipkin/ and its query API under /api/v2/ on one port. Registered with
// processes.ts, so cleanup() stops it.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { freePort, getJson } from './net';
import { spawnLogged, stop, tempDir, waitReady, type Proc } from './processes';

const FETCH = path.join(__dirname, '..', '..', 'tools', 'backends', 'zipkin.sh');

/** A span as Zipkin's API v2 returns it (zipkin2 JSON, zipkin-api's zipkin2-api.yaml); times in microseconds. */
export interface ZipkinSpan {
  traceId: string;
  id: string;
  parentId?: string;
  name?: string;
  kind?: 'CLIENT' | 'SERVER' | 'PRODUCER' | 'CONSUMER';
  timestamp?: number;
  duration?: number;
  localEndpoint?: { serviceName?: string; ipv4?: string; port?: number };
  tags?: Record<string, string>;
}

export interface Zipkin {
  host: string;
  /** Collector (/api/v2/spans), query API (/api/v2/...) and UI (/zipkin/), all on this port. */
  port: number;
  url: string;
  proc: Proc;
  /** The spans of trace `traceId` (hex), or none when Zipkin has not got it. */
  trace(traceId: string): Promise<ZipkinSpan[]>;
  /** Traces with a span of `serviceName` in the last hour, newest first. */
  traces(serviceName: string): Promise<ZipkinSpan[][]>;
  stop(): Promise<void>;
}

/** The jar's path (tools/backends/zipkin.sh --bin), or throws naming `make zipkin` and ZIPKIN_JAR. */
export function zipkinJar(): string {
  const jar = execFileSync(FETCH, ['--bin'], { encoding: 'utf8' }).trim();
  if (!existsSync(jar)) throw new Error(`zipkin is not there (${jar}): run \`make zipkin\` (zipkin-server from Maven Central) or set ZIPKIN_JAR to its exec jar`);
  return jar;
}

/**
 * Starts Zipkin on `host` (a loopback address) and a free port, and resolves once /health says UP.
 * Zipkin 3 serves through Armeria, which takes its address from `armeria.ports[]` rather than
 * Spring's `server.address` (zipkin-server-shared.yml), so the port is given there with the ip,
 * keeping Zipkin off every other address. Fails with its log if it exits or is not up in 60 s
 * (the JVM and Spring Boot start in 10-20 s on this machine).
 */
export async function startZipkin(o: { host: string; dir?: string }): Promise<Zipkin> {
  const dir = o.dir ?? tempDir('zipkin');
  const port = await freePort(o.host);
  const args = ['-Xmx512m', '-jar', zipkinJar(), `--armeria.ports[0].ip=${o.host}`, `--armeria.ports[0].port=${port}`, '--armeria.ports[0].protocols=http'];
  // STORAGE_TYPE=mem is Zipkin's default; said here so an exported STORAGE_TYPE cannot change it.
  const proc = spawnLogged('zipkin', 'java', args, path.join(dir, 'zipkin.log'), { ...process.env, STORAGE_TYPE: 'mem' });
  const url = `http://${o.host}:${port}`;
  await waitReady(proc, async () => (await getJson<{ status: string }>(`${url}/health`, { timeoutMs: 1000 })).status === 'UP', 60_000);
  return {
    host: o.host,
    port,
    url,
    proc,
    trace: async (traceId) => {
      try {
        return await getJson<ZipkinSpan[]>(`${url}/api/v2/trace/${traceId}`, { timeoutMs: 5000 });
      } catch (err) {
        // 404: no span of that trace yet.
        if (String(err).includes(': 404 ')) return [];
        throw err;
      }
    },
    traces: (serviceName) => getJson<ZipkinSpan[][]>(`${url}/api/v2/traces?${new URLSearchParams({ serviceName, lookback: '3600000', limit: '100' })}`, { timeoutMs: 5000 }),
    stop: () => stop(proc),
  };
}
