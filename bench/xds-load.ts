// The xDS load benchmark: N simulated sidecars on ADS against Mast and against a go-control-plane
// peer serving the same resources, one child process at a time, on a mesh of S services.
//
//   node --import tsx bench/xds-load.ts [--clients 100,1000] [--services 1000]
//     [--transport sotw,delta] [--target mast,peer] [--changes 5] [--shared-ip] [--scope 0,10]
//
// `--scope S` adds a namespace-wide Sidecar importing S of the services (0: none, the default),
// so each sidecar is sent S services' config; a list runs each. The lists select the rows: e.g.
// `--clients 1000 --transport sotw --target mast --scope 0,10` runs the unscoped and scoped rows.
// Lists run every combination, Mast and the peer back to back for each shape, so each ratio
// compares runs made minutes apart on the same machine. Measured per run: time from the first
// request until every sidecar holds the full config (CDS, EDS for every cluster, LDS, RDS), time
// for one endpoint change to reach every sidecar (`--changes` times), and the server's CPU
// seconds (utime+stime, from readiness to the end) and peak RSS (VmHWM). Prints a markdown table
// and writes everything to bench/results/xds-load-DATE.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { getJson, sleep } from '../e2e/harness/net';
import { cleanup, tempDir } from '../e2e/harness/processes';
import { snapshotFromYaml } from '../src/model';
import { META, nodeId, proxyFromNode } from '../src/proxy/node';
import { translate } from '../src/translate';
import type { Proxy, ResourceSet } from '../src/translate/types';
import { checkMesh, endpointIps, NAMESPACE, PORT, readMesh, serviceHost, writeMesh } from './mesh-gen';
import { cpuSeconds, peakRssMib, rssMib } from './lib/proc-stats';
import { loadProtos, Sidecar, type Transport } from './lib/sidecar';
import { machine } from './lib/machine';
import { percentile, table, type Outcome, type RunResult } from './lib/stats';
import { startMast, startPeer, translateMesh, type Target, type TargetName } from './lib/targets';
import type { NodeInfo } from '../test/support/ads-client';

/** The service whose endpoints change: one without Pods, so its slice alone decides its endpoints. */
const CHANGED_SERVICE = 1;
const CHANGED_CLUSTER = `outbound|${PORT}||${serviceHost(CHANGED_SERVICE)}`;

interface Options {
  services: number;
  /** Services the Sidecar imports; 0 for no Sidecar. */
  scope: number;
  changes: number;
  sharedIp: boolean;
  syncTimeoutMs: number;
  changeTimeoutMs: number;
  /** The machine is shared: a server growing past this is stopped rather than let crowd out others. */
  maxRssMib: number;
}

/** Sidecar `i` of one deployment: its own pod IP, the deployment's namespace and labels. */
function benchNode(i: number, sharedIp: boolean): NodeInfo {
  const ip = sharedIp ? '10.1.0.1' : `10.1.${((i + 1) >> 8) & 255}.${(i + 1) & 255}`;
  return {
    id: nodeId('sidecar', ip, `bench-${i}.${NAMESPACE}`, NAMESPACE),
    metadata: {
      [META.namespace]: NAMESPACE,
      [META.labels]: { app: 'bench', version: 'v1' },
      [META.instanceIps]: ip,
      [META.serviceAccount]: 'bench',
      [META.name]: `bench-${i}`,
      [META.interceptionMode]: 'REDIRECT',
    },
  };
}

function proxyOf(node: NodeInfo): Proxy {
  const proxy = proxyFromNode(node.id, node.metadata as Parameters<typeof proxyFromNode>[1]);
  if ('error' in proxy) throw new Error(proxy.error);
  return proxy;
}

/** New addresses for step `step` of the change: the first endpoint moves, the others stay. */
function changedIps(step: number): string[] {
  return [`10.250.0.${step}`, ...endpointIps(CHANGED_SERVICE).slice(1)];
}

/** Waits for `work`, failing with `progress()` when the time is up, the server has exited or it
 * has outgrown `maxRssMib`. */
async function bounded<T>(work: Promise<T>, ms: number, what: string, target: Target, maxRssMib: number, progress: () => string): Promise<T> {
  const began = performance.now();
  let timer: NodeJS.Timeout | undefined;
  let sampler: NodeJS.Timeout | undefined;
  const fail = (why: string): Error => new Error(`${what}: ${why} after ${((performance.now() - began) / 1000).toFixed(1)} s (${progress()})`);
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(fail('not done')), ms);
  });
  const tooBig = new Promise<never>((_, reject) => {
    sampler = setInterval(() => {
      const rss = rssMib(target.pid);
      if (rss > maxRssMib) reject(fail(`${target.name} grew to ${rss.toFixed(0)} MiB RSS, over --max-rss-mib`));
    }, 500);
  });
  const exited = target.proc.exited.then((code): never => {
    throw fail(`${target.name} exited (${code}); see ${target.proc.logFile}`);
  });
  try {
    return await Promise.race([work, timeout, exited, tooBig]);
  } finally {
    clearTimeout(timer);
    clearInterval(sampler);
  }
}

function sameResources(a: ResourceSet, b: ResourceSet): boolean {
  return (['clusters', 'endpoints', 'listeners', 'routes'] as const).every((k) => JSON.stringify(a[k]) === JSON.stringify(b[k]));
}

async function run(targetName: TargetName, transport: Transport, clients: number, o: Options): Promise<RunResult> {
  const work = tempDir('bench');
  const configDir = path.join(work, 'mesh');
  writeMesh(configDir, o.services, o.scope);
  const nodes = Array.from({ length: clients }, (_, i) => benchNode(i, o.sharedIp));
  const proxy = proxyOf(nodes[0]!);
  const loadAverage = os.loadavg()[0]!;
  const target = targetName === 'mast' ? await startMast(configDir, work) : await startPeer(configDir, work, proxy);
  const sidecars: Sidecar[] = [];
  try {
    const cpuAtStart = cpuSeconds(target.pid);
    const clientCpu = process.cpuUsage();
    const elu = performance.eventLoopUtilization();
    const startedAt = performance.now();
    for (const node of nodes) sidecars.push(new Sidecar(target.xdsAddress, node, transport));
    const synced = (): string => `${sidecars.filter((s) => s.syncedAt !== undefined).length}/${clients} synced${failures(sidecars)}`;
    const perClient = await bounded(Promise.all(sidecars.map((s) => s.synced)), o.syncTimeoutMs, 'initial sync', target, o.maxRssMib, synced);
    const totalMs = Math.max(...sidecars.map((s) => s.syncedAt!)) - startedAt;
    const syncElu = performance.eventLoopUtilization(elu).utilization;
    const cpuAfterSync = cpuSeconds(target.pid);
    process.stderr.write(`  ${targetName} ${transport} N=${clients}: initial sync ${(totalMs / 1000).toFixed(2)} s\n`);

    const latencies: number[] = [];
    const stepMaxMs: number[] = [];
    for (let step = 1; step <= o.changes; step++) {
      await sleep(1000); // let ACKs and any trailing pushes settle, so steps do not overlap
      const ips = changedIps(step);
      const seen = sidecars.map((s) => s.expect(CHANGED_CLUSTER, ips[0]!));
      let arrived = 0;
      const at = target.change(CHANGED_SERVICE, ips);
      const times = await bounded(Promise.all(seen.map((p) => p.then((t) => (arrived++, t)))), o.changeTimeoutMs, `change ${step}`, target, o.maxRssMib, () => `${arrived}/${clients} received it${failures(sidecars)}`);
      const lat = times.map((t) => t - at);
      latencies.push(...lat);
      stepMaxMs.push(Math.max(...lat));
    }
    const cpuAtEnd = cpuSeconds(target.pid);
    const rss = peakRssMib(target.pid);
    const client = process.cpuUsage(clientCpu);
    const failed = failures(sidecars);
    if (failed) throw new Error(`sidecars failed${failed}`);

    let sameConfigAsPeer: boolean | undefined;
    if (targetName === 'mast') {
      const dump = await getJson<ResourceSet>(`${target.adminUrl}/debug/config_dump?proxy=${encodeURIComponent(nodes[0]!.id)}`);
      sameConfigAsPeer = sameResources(dump, translateMesh(configDir, proxy));
    }
    return {
      target: targetName,
      transport,
      clients,
      services: o.services,
      ...(o.scope > 0 && { scope: o.scope }),
      loadAverage,
      holdings: sidecars[0]!.holdings!,
      sync: { totalMs, p50Ms: percentile(perClient, 50), p99Ms: percentile(perClient, 99), bytesPerClient: sidecars[0]!.syncBytes },
      change: { steps: o.changes, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), maxMs: Math.max(...latencies), stepMaxMs },
      targetCpu: { syncS: cpuAfterSync - cpuAtStart, changesS: cpuAtEnd - cpuAfterSync, totalS: cpuAtEnd - cpuAtStart },
      peakRssMib: rss,
      client: { cpuS: (client.user + client.system) / 1e6, syncEventLoopUtilization: syncElu },
      ...(sameConfigAsPeer !== undefined && { sameConfigAsPeer }),
    };
  } finally {
    for (const s of sidecars) s.close();
    await target.stop();
  }
}

function failures(sidecars: readonly Sidecar[]): string {
  const failed = sidecars.filter((s) => s.failure);
  return failed.length ? `; ${failed.length} failed, first: ${failed[0]!.failure!.message}` : '';
}

/** The peer serves one snapshot to every sidecar; that is only fair if Mast's translation gives
 * every one of them the same config, which this checks for the first and the last. */
function checkOneClass(clients: number, o: Options): void {
  const dir = path.join(tempDir('bench-check'), 'mesh');
  writeMesh(dir, o.services, o.scope);
  checkMesh(dir);
  const { snapshot } = snapshotFromYaml(readMesh(dir), dir);
  const [first, last] = [benchNode(0, o.sharedIp), benchNode(clients - 1, o.sharedIp)].map((n) => translate(snapshot, proxyOf(n)));
  if (!sameResources(first!, last!)) throw new Error('sidecars of the bench deployment get different configs; the peer cannot serve them one snapshot');
}

const list = (s: string): string[] => s.split(',').map((x) => x.trim()).filter(Boolean);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      clients: { type: 'string', default: '100,1000' },
      services: { type: 'string', default: '1000' },
      scope: { type: 'string', default: '0' },
      transport: { type: 'string', default: 'sotw,delta' },
      target: { type: 'string', default: 'mast,peer' },
      changes: { type: 'string', default: '5' },
      'shared-ip': { type: 'boolean', default: false },
      'sync-timeout-s': { type: 'string', default: '900' },
      'change-timeout-s': { type: 'string', default: '600' },
      'max-rss-mib': { type: 'string', default: '10240' },
      out: { type: 'string', default: path.join(__dirname, 'results') },
    },
  });
  const base: Omit<Options, 'scope'> = {
    services: Number(values.services),
    changes: Number(values.changes),
    sharedIp: values['shared-ip'],
    syncTimeoutMs: Number(values['sync-timeout-s']) * 1000,
    changeTimeoutMs: Number(values['change-timeout-s']) * 1000,
    maxRssMib: Number(values['max-rss-mib']),
  };
  const scopes = list(values.scope).map(Number);
  const clientCounts = list(values.clients).map(Number);
  const transports = list(values.transport) as Transport[];
  const targets = list(values.target) as TargetName[];
  const info = machine();
  process.stderr.write(`${JSON.stringify(info)}\n`);
  for (const scope of scopes) checkOneClass(Math.max(...clientCounts), { ...base, scope });
  loadProtos();

  const results: Outcome[] = [];
  for (const scope of scopes) {
    const o: Options = { ...base, scope };
    for (const clients of clientCounts) {
      for (const transport of transports) {
        for (const target of targets) {
          const loadAverage = os.loadavg()[0]!;
          try {
            results.push(await run(target, transport, clients, o));
          } catch (err) {
            const failed = err instanceof Error ? err.message : String(err);
            process.stderr.write(`  ${target} ${transport} N=${clients}${scope ? ` scope=${scope}` : ''} failed: ${failed}\n`);
            results.push({ target, transport, clients, services: o.services, ...(scope > 0 && { scope }), loadAverage, failed });
          }
        }
      }
    }
  }
  mkdirSync(values.out, { recursive: true });
  const file = path.join(values.out, `xds-load-${String(info.date).replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify({ machine: info, options: { ...base, scopes }, results }, null, 2)}\n`);
  console.log(table(results));
  console.log(`\n${JSON.stringify(info)}\nresults: ${path.relative(process.cwd(), file)}`);
}

main()
  .catch((err: unknown) => {
    process.stderr.write(`xds-load: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exitCode = 1;
  })
  .finally(async () => {
    await cleanup();
    // Client channels and timers would keep the process alive for nothing.
    process.exit();
  });
