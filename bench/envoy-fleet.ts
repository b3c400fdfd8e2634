// Real Envoys at scale (issue 10, item 6): N real Envoys (the pinned 1.36.4) as the sidecars of N
// distinct Pods on the benchmark's S-service mesh, against `mast serve --config-dir`.
//
//   flock /tmp/mast-bench.lock node --import tsx bench/envoy-fleet.ts [--envoys 50] [--services 1000]
//     [--transport sotw,delta]      (or `make bench-envoys`)
//
// `--envoys` and `--transport` take lists (`--envoys 5,20,50` goes stepwise); every combination
// runs on a fresh Mast and fleet. Per run it measures the time from the first Envoy's start until
// every Envoy has ACKed everything (Mast's /debug/syncz: each proxy at Mast's generation with every
// type's sent version ACKed; and each Envoy's own stats: CDS and LDS accepted, nothing warming,
// every `*.update_rejected` 0); then compares each Envoy's /config_dump with what Mast says it sent
// that proxy (bench/lib/fleet-compare.ts), and names every difference. Then one endpoint change
// and one VirtualService change, each timed until every Envoy has ACKed it, and the comparison
// again. Also measured: Mast's CPU seconds and peak RSS, the Envoys' total RSS. A NACK or a
// difference fails the run (a bug in Mast) after its figures are written to
// bench/results/envoy-fleet-DATE.json. Not part of `make test`: a 50-Envoy run takes minutes.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { fileBackend } from '../e2e/harness/backend';
import { Mast } from '../e2e/harness/mast';
import { sleep } from '../e2e/harness/net';
import { cleanup, tempDir } from '../e2e/harness/processes';
import { checkMesh, endpointIps, PORT, replaceServiceFile, rewriteService, serviceDocuments, serviceHost, writeMesh } from './mesh-gen';
import type { Comparison } from './lib/fleet-compare';
import { compareFleet, converged, generation, mastHas } from './lib/fleet-converge';
import { fleetPodsYaml, startMember, type FleetMember } from './lib/fleet';
import { machine } from './lib/machine';
import { cpuSeconds, peakRssMib, rssMib } from './lib/proc-stats';

type Transport = 'sotw' | 'delta';

/** Endpoint change: a service without Pods, so its slice alone decides its endpoints (as xds-load). */
const EDS_SERVICE = 1;
const EDS_CLUSTER = `outbound|${PORT}||${serviceHost(EDS_SERVICE)}`;
const MOVED_IP = '10.250.0.1';
/** VirtualService change: service 0 has a DestinationRule and an 80/20 VirtualService (mesh-gen). */
const VS_SERVICE = 0;
/**
 * How often convergence is polled: /debug/syncz lists every subscribed name of every proxy (about
 * 70 KB per proxy here), so polling it costs Mast CPU that the figures include; while the fleet
 * syncs, every half second, and more often while one change goes out (a few polls).
 */
const SYNC_POLL_MS = 500;
const CHANGE_POLL_MS = 100;

interface Options {
  services: number;
  syncTimeoutMs: number;
  changeTimeoutMs: number;
}

interface FleetResult {
  transport: Transport;
  envoys: number;
  services: number;
  /** 1-minute load average at the start and the end of the run: the machine is shared. */
  loadAverage: [number, number];
  /** First Envoy started until every Envoy has ACKed everything. */
  convergeMs: number;
  /** Rewrite of the service's file until every Envoy has ACKed the new generation. */
  endpointChangeMs: number;
  virtualServiceChangeMs: number;
  /** What one Envoy holds, the same for all (the first's comparison). */
  perEnvoy: Omit<Comparison, 'differences'>;
  mastCpuS: { sync: number; changes: number; compare: number };
  mastPeakRssMib: number;
  envoysRssMib: { total: number; peakTotal: number; max: number };
  /** CPU seconds all Envoys used from their start until converged: on two shared cores, what the sync waits for. */
  envoysSyncCpuS: number;
  /** Every difference between an Envoy's config_dump and Mast's, `pod: resource: what`, and every NACK. */
  differences: string[];
}

/** Service `i`'s documents with its VirtualService's split moved to `v1`% / the rest to v2. */
function resplitYaml(i: number, v1: number): string {
  const docs = serviceDocuments(i) as { kind: string; spec: { http?: { route: { weight: number }[] }[] } }[];
  const vs = docs.find((d) => d.kind === 'VirtualService');
  if (!vs?.spec.http) throw new Error(`service ${i} has no VirtualService`);
  const [a, b] = vs.spec.http[0]!.route;
  a!.weight = v1;
  b!.weight = 100 - v1;
  return docs.map((d) => stringify(d)).join('---\n');
}

async function run(transport: Transport, n: number, o: Options): Promise<FleetResult> {
  const work = tempDir('fleet');
  const configDir = path.join(work, 'mesh');
  const logDir = path.join(work, 'logs');
  mkdirSync(logDir, { recursive: true });
  writeMesh(configDir, o.services);
  writeFileSync(path.join(configDir, 'fleet-pods.yaml'), fleetPodsYaml(n));
  checkMesh(configDir);
  const load0 = os.loadavg()[0]!;
  const backend = await fileBackend(configDir);
  const mast = await Mast.start(backend.mastArgs, logDir, { args: ['--log-level', 'warn'], readyTimeoutMs: 180_000 });
  const mastPid = mast.proc.child.pid!;
  const fleet: FleetMember[] = [];
  try {
    const cpu0 = cpuSeconds(mastPid);
    const started = performance.now();
    const gen0 = await generation(mast);
    // allSettled: every Envoy that did start is in `fleet`, so the finally block stops it.
    const starts = await Promise.allSettled(Array.from({ length: n }, (_, i) => startMember(i, mast, (pod) => backend.proxyAuth(pod, logDir), logDir, transport === 'delta')));
    for (const s of starts) if (s.status === 'fulfilled') fleet.push(s.value);
    const failed = starts.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    const convergeMs = await converged(mast, fleet, gen0, started, o.syncTimeoutMs, SYNC_POLL_MS);
    const cpu1 = cpuSeconds(mastPid);
    const envoysSyncCpuS = sum(fleet.map((m) => cpuSeconds(m.pid)));
    process.stderr.write(`  ${transport} N=${n}: converged in ${(convergeMs / 1000).toFixed(2)} s; comparing config dumps\n`);
    const initial = await compareFleet(mast, fleet);
    const envoysRssMib = { total: sum(fleet.map((m) => rssMib(m.pid))), peakTotal: sum(fleet.map((m) => peakRssMib(m.pid))), max: Math.max(...fleet.map((m) => rssMib(m.pid))) };
    const cpu2 = cpuSeconds(mastPid);

    const change = async (what: string, apply: () => void, check: () => Promise<void>): Promise<number> => {
      await sleep(1000); // let trailing ACKs settle, so changes do not overlap
      const before = await generation(mast);
      const at = performance.now();
      apply();
      const ms = await converged(mast, fleet, before + 1, at, o.changeTimeoutMs, CHANGE_POLL_MS);
      await check();
      process.stderr.write(`  ${transport} N=${n}: ${what} ACKed by every Envoy in ${ms.toFixed(0)} ms\n`);
      return ms;
    };
    const cpu3 = cpuSeconds(mastPid);
    const endpointChangeMs = await change('endpoint change', () => rewriteService(configDir, EDS_SERVICE, [MOVED_IP, ...endpointIps(EDS_SERVICE).slice(1)]),
      () => mastHas(mast, fleet[0]!.nodeId, 'endpoints', (j) => j.includes(MOVED_IP), `${MOVED_IP} in ${EDS_CLUSTER}`));
    const virtualServiceChangeMs = await change('VirtualService change', () => replaceServiceFile(configDir, VS_SERVICE, resplitYaml(VS_SERVICE, 50)),
      () => mastHas(mast, fleet[0]!.nodeId, 'routes', (j) => j.includes(serviceHost(VS_SERVICE)) && j.includes('"weight":50'), `the 50/50 split of ${serviceHost(VS_SERVICE)}`));
    const cpu4 = cpuSeconds(mastPid);
    const after = await compareFleet(mast, fleet);
    return {
      transport,
      envoys: n,
      services: o.services,
      loadAverage: [load0, os.loadavg()[0]!],
      convergeMs,
      endpointChangeMs,
      virtualServiceChangeMs,
      perEnvoy: withoutDifferences(initial.first),
      mastCpuS: { sync: cpu1 - cpu0, changes: cpu4 - cpu3, compare: cpu2 - cpu1 },
      mastPeakRssMib: peakRssMib(mastPid),
      envoysRssMib,
      envoysSyncCpuS,
      differences: [...initial.differences.map((d) => `initial ${d}`), ...after.differences.map((d) => `after changes ${d}`)],
    };
  } finally {
    // Envoy.stop fails on a NACK nobody reported; all stop either way.
    const stopped = await Promise.allSettled([...fleet.map((m) => m.envoy.stop()), mast.stop()]);
    const errors = stopped.flatMap((s) => (s.status === 'rejected' ? [(s.reason as Error).message] : []));
    if (errors.length > 0) process.stderr.write(`  stopping the fleet: ${errors.join('\n')}\n`);
  }
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

function withoutDifferences(c: Comparison): Omit<Comparison, 'differences'> {
  const { differences: _, ...rest } = c;
  return rest;
}

/** MemAvailable in MiB: 50 Envoys holding ~1200 clusters each need gigabytes on a shared machine. */
function availableMib(): number {
  return Number(/^MemAvailable:\s+(\d+) kB$/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0) / 1024;
}

function table(results: readonly (FleetResult | { transport: string; envoys: number; failed: string })[]): string {
  const head = '| transport | Envoys | converge (s) | endpoint change (ms) | VirtualService change (ms) | NACKs + differences | Mast CPU, sync (s) | Envoys\' CPU, sync (s) | Mast CPU, 2 changes (s) | Mast peak RSS (MiB) | Envoys\' RSS, total (MiB) | largest Envoy (MiB) | load avg |';
  const rows = results.map((r) => 'failed' in r
    ? `| ${r.transport} | ${r.envoys} | failed: ${r.failed.split('\n')[0]} |`
    : `| ${r.transport} | ${r.envoys} | ${(r.convergeMs / 1000).toFixed(2)} | ${r.endpointChangeMs.toFixed(0)} | ${r.virtualServiceChangeMs.toFixed(0)} | ${r.differences.length} | ${r.mastCpuS.sync.toFixed(2)} | ${r.envoysSyncCpuS.toFixed(1)} | ${r.mastCpuS.changes.toFixed(2)} | ${r.mastPeakRssMib.toFixed(0)} | ${r.envoysRssMib.total.toFixed(0)} | ${r.envoysRssMib.max.toFixed(0)} | ${r.loadAverage.map((l) => l.toFixed(1)).join('–')} |`);
  return [head, head.replace(/[^|]+/g, '---'), ...rows].join('\n');
}

const list = (s: string): string[] => s.split(',').map((x) => x.trim()).filter(Boolean);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      envoys: { type: 'string', default: '50' },
      services: { type: 'string', default: '1000' },
      transport: { type: 'string', default: 'sotw,delta' },
      'sync-timeout-s': { type: 'string', default: '600' },
      'change-timeout-s': { type: 'string', default: '120' },
      'mib-per-envoy': { type: 'string', default: '150' },
      out: { type: 'string', default: path.join(__dirname, 'results') },
    },
  });
  const o: Options = { services: Number(values.services), syncTimeoutMs: Number(values['sync-timeout-s']) * 1000, changeTimeoutMs: Number(values['change-timeout-s']) * 1000 };
  const info = machine();
  process.stderr.write(`${JSON.stringify(info)}\n`);
  const results: (FleetResult | { transport: Transport; envoys: number; failed: string })[] = [];
  mkdirSync(values.out, { recursive: true });
  const file = path.join(values.out, `envoy-fleet-${String(info.date).replace(/[:.]/g, '-')}.json`);
  // Written after every run, so an interrupted sweep keeps the runs it finished.
  const save = (): void => writeFileSync(file, `${JSON.stringify({ machine: info, options: o, results }, null, 2)}\n`);
  // What one Envoy takes, as the last run measured it (with a quarter more), once there is one.
  let mibPerEnvoy = Number(values['mib-per-envoy']);
  for (const n of list(values.envoys).map(Number)) {
    for (const transport of list(values.transport) as Transport[]) {
      // Mast and its headroom (2 GiB) plus each Envoy's share, or the run would crowd out others.
      const need = 2048 + n * mibPerEnvoy;
      if (availableMib() < need) {
        results.push({ transport, envoys: n, failed: `needs ${need} MiB available, the machine has ${availableMib().toFixed(0)}` });
        save();
        continue;
      }
      try {
        const r = await run(transport, n, o);
        results.push(r);
        mibPerEnvoy = Math.max(mibPerEnvoy, r.envoysRssMib.max * 1.25);
        if (r.differences.length > 0) process.stderr.write(`  ${transport} N=${n}: ${r.differences.length} differences, first:\n    ${r.differences.slice(0, 20).join('\n    ')}\n`);
      } catch (err) {
        const failed = err instanceof Error ? err.message : String(err);
        process.stderr.write(`  ${transport} N=${n} failed: ${failed}\n`);
        results.push({ transport, envoys: n, failed });
      }
      save();
    }
  }
  console.log(table(results));
  console.log(`\n${JSON.stringify(info)}\nresults: ${path.relative(process.cwd(), file)}`);
  // A NACK, a difference or a failed run is a finding: the command says so by its exit code.
  if (results.some((r) => 'failed' in r || r.differences.length > 0)) process.exitCode = 1;
}

main()
  .catch((err: unknown) => {
    process.stderr.write(`envoy-fleet: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exitCode = 1;
  })
  .finally(async () => {
    await cleanup();
    process.exit();
  });
