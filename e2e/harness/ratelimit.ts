// The real envoyproxy/ratelimit service (`make ratelimit`), configured as Istio's
// samples/ratelimit/rate-limit-service.yaml runs it (its env), with the rate limit config files
// where that Deployment mounts them (RUNTIME_ROOT/RUNTIME_SUBDIRECTORY/config/), counting in a
// real Redis. Listens on free ports; registered with processes.ts, so cleanup() stops it.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { backendBin } from './backends';
import { freePort, get } from './net';
import { spawnLogged, stop, tempDir, waitReady, type Proc } from './processes';

export interface RateLimitService {
  host: string;
  /** Envoy's rls.proto gRPC service (the sample's 8081). */
  grpcPort: number;
  /** /healthcheck and /json (the sample's 8080). */
  httpPort: number;
  /** /rlconfig and /stats (the sample's 6070). */
  debugPort: number;
  proc: Proc;
  stop(): Promise<void>;
}

export interface RateLimitOptions {
  /** `host:port` of the Redis to count in. */
  redisUrl: string;
  /** Config files by name (`config.yaml`: `domain:` and `descriptors:`), as a ConfigMap's data. */
  config: Record<string, string>;
  /**
   * Environment as a Deployment gives it (e.g. the Istio sample's container `env`); the
   * addresses, ports, Redis URL and runtime directory are the harness's and win.
   */
  env?: Record<string, string>;
  host?: string;
  dir?: string;
}

/**
 * Starts the ratelimit service and resolves once /healthcheck answers 200 (it has loaded its
 * config and reached Redis). Fails with its log if it exits or is not healthy in 15 s.
 */
export async function startRateLimit(o: RateLimitOptions): Promise<RateLimitService> {
  const host = o.host ?? '127.0.0.1';
  const dir = o.dir ?? tempDir('ratelimit');
  const runtime = path.join(dir, 'runtime');
  const configDir = path.join(runtime, 'ratelimit', 'config');
  mkdirSync(configDir, { recursive: true });
  for (const [name, text] of Object.entries(o.config)) writeFileSync(path.join(configDir, name), text);
  const [grpcPort, httpPort, debugPort] = [await freePort(host), await freePort(host), await freePort(host)];
  const env: Record<string, string> = {
    ...o.env,
    HOST: host,
    PORT: String(httpPort),
    GRPC_HOST: host,
    GRPC_PORT: String(grpcPort),
    DEBUG_HOST: host,
    DEBUG_PORT: String(debugPort),
    REDIS_URL: o.redisUrl,
    RUNTIME_ROOT: runtime,
    RUNTIME_SUBDIRECTORY: 'ratelimit',
  };
  const proc = spawnLogged('ratelimit', backendBin('ratelimit'), [], path.join(dir, 'ratelimit.log'), { ...process.env, ...env });
  await waitReady(proc, async () => (await get(`http://${host}:${httpPort}/healthcheck`, { timeoutMs: 1000 })).status === 200, 15_000);
  return { host, grpcPort, httpPort, debugPort, proc, stop: () => stop(proc) };
}
