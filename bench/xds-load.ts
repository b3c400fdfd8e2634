// The xDS load benchmark: N simulated sidecars on ADS against Mast and against a go-control-plane
// peer serving the same resources, one child process at a time, on a mesh of S services.
//
//   node --import tsx bench/xds-load.ts [--clients 100,1000] [--services 1000]
//     [--transport sotw,delta] [--target mast,peer,mast-k8s,istiod,istiod-matched] [--changes 5] [--shared-ip] [--scope 0,10]
//     [--churn-rate 10] [--churn-s 60] [--client go|node]
//
// `--client` picks the load client: `go` (bench/load-client, the default: a sidecar costs it a
// fraction of what it costs `node`, bench/lib/sidecar.ts in this process, so less of the shared
// machine goes to the client and more to the server measured).
// `--scope S` adds a namespace-wide Sidecar importing S of the services (0: none, the default),
// so each sidecar is sent S services' config; a list runs each. The lists select the rows: e.g.
// `--clients 1000 --transport sotw --target mast --scope 0,10` runs the unscoped and scoped rows.
// Lists run every combination, Mast and the peer back to back for each shape, so each ratio
// compares runs made minutes apart on the same machine. Measured per run: time from the first
// request until every sidecar holds the full config (CDS, EDS for every cluster, LDS, RDS) and
// has ACKed it; for one endpoint change (`--changes` times), the time until each sidecar has
// ACKed the response carrying it (p50, p99, max); a churn of `--churn-rate` endpoint changes per
// second for `--churn-s` seconds, each to another service (0 for either disables it): per change,
// the time until every sidecar has it (p50/p99/max over changes), and the server's CPU seconds and
// the response bytes the sidecars received from its first change until its last converged; the
// server's CPU seconds (utime+stime, from readiness to the end) and peak RSS (VmHWM); and NACKs,
// the sidecars' own and the server's count. Prints a markdown table and writes every run,
// failed ones too, to bench/results/xds-load-DATE.json. `run` is the growth sweep's
// (bench/growth.ts) too.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { getJson, sleep } from '../e2e/harness/net';
import { cleanup, tempDir } from '../e2e/harness/processes';
import { META, nodeId, proxyFromNode } from '../src/proxy/node';
import { translate } from '../src/translate';
import type { Proxy, ResourceSet } from '../src/translate/types';
import { checkMesh, endpointIps, NAMESPACE, snapshotOfDir, writeMesh } from './mesh-gen';
import { CHANGED_SERVICE, churn, clusterOf } from './lib/churn';
import { cpuSeconds, cpuTimes, peakRssMib } from './lib/proc-stats';
import { CLIENT_KINDS, failures, prepareClient, startFleet, type ClientKind, type LoadFleet } from './lib/load-fleet';
import { loadProtos, type Transport } from './lib/sidecar';
import { machine } from './lib/machine';
import { percentile, table, type ChurnResult, type FailedChurn, type Outcome, type RunResult, type StepDetail, type UnconvergedStep } from './lib/stats';
import { startTarget, translateMesh, type TargetName } from './lib/targets';
import { bounded, NotDone, serverRejects } from './lib/watch';
import type { NodeInfo } from '../test/support/ads-client';

const CHANGED_CLUSTER = clusterOf(CHANGED_SERVICE);

export interface Options {
  /** Which load client simulates the sidecars (bench/lib/load-fleet.ts). */
  client: ClientKind;
  services: number;
  /** Services the Sidecar imports; 0 for no Sidecar. */
  scope: number;
  changes: number;
  /** Endpoint changes per second during the churn, and for how long; 0 for either: no churn. */
  churnRate: number;
  churnS: number;
  /** Pause before each single change and before the churn, so ACKs and trailing pushes settle. */
  settleMs: number;
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

function sameResources(a: ResourceSet, b: ResourceSet): boolean {
  return (['clusters', 'endpoints', 'listeners', 'routes'] as const).every((k) => JSON.stringify(a[k]) === JSON.stringify(b[k]));
}

/** One server, one transport, `clients` sidecars on a fresh mesh of `o.services`: starts the
 * server, measures (see the file's head), stops it. Throws when the sync or a single change
 * exceeds its bound, the server dies or outgrows `o.maxRssMib`; a churn that does not converge
 * is recorded in the result instead. */
export async function run(targetName: TargetName, transport: Transport, clients: number, o: Options): Promise<RunResult> {
  const work = tempDir('bench');
  const configDir = path.join(work, 'mesh');
  writeMesh(configDir, o.services, o.scope);
  const nodes = Array.from({ length: clients }, (_, i) => benchNode(i, o.sharedIp));
  const proxy = proxyOf(nodes[0]!);
  const loadAverage = os.loadavg()[0]!;
  prepareClient(o.client);
  const target = await startTarget(targetName, { configDir, logDir: work, proxy, services: o.services, scope: o.scope, nodes });
  let fleet: LoadFleet | undefined;
  try {
    const cpuAtStart = cpuSeconds(target.pid);
    const elu = performance.eventLoopUtilization();
    const startedAt = performance.now();
    fleet = startFleet(o.client, target.xdsAddress, nodes, transport, work);
    const clientCpu = fleet.cpu();
    const sidecars = fleet.clients;
    const synced = (): string => `${sidecars.filter((s) => s.syncedAt !== undefined).length}/${clients} synced${failures(sidecars)}`;
    const perClient = await bounded(fleet.synced, o.syncTimeoutMs, 'initial sync', target, o.maxRssMib, synced);
    const totalMs = Math.max(...sidecars.map((s) => s.syncedAt!)) - startedAt;
    const syncElu = performance.eventLoopUtilization(elu).utilization;
    const cpuAfterSync = cpuSeconds(target.pid);
    process.stderr.write(`  ${targetName} ${transport} N=${clients}: initial sync ${(totalMs / 1000).toFixed(2)} s\n`);

    const latencies: number[] = [];
    const stepMaxMs: number[] = [];
    const stepDetail: StepDetail[] = [];
    const unconverged: UnconvergedStep[] = [];
    for (let step = 1; step <= o.changes; step++) {
      await sleep(o.settleMs); // let ACKs and any trailing pushes settle, so steps do not overlap
      const ips = changedIps(step);
      const times: number[] = [];
      const acked = new Set<number>();
      const all = new Promise<void>((resolve) => {
        fleet!.expectEach(CHANGED_CLUSTER, ips[0]!, (i, t) => {
          acked.add(i);
          if (times.push(t) === clients) resolve();
        });
      });
      const fromNs = process.hrtime.bigint();
      const serverCpu = cpuTimes(target.pid);
      const clientCpu = fleet.cpu();
      const at = target.change(CHANGED_SERVICE, ips);
      try {
        await bounded(all, o.changeTimeoutMs, `change ${step}`, target, o.maxRssMib, () => `${times.length}/${clients} ACKed it${failures(sidecars)}`);
      } catch (err) {
        // Some sidecars never got this change: recorded with who they are, and the run goes on, so
        // its sync, churn, CPU and memory figures are kept (istiod left 4 of 2000 SotW sidecars so).
        if (!(err instanceof NotDone)) throw err;
        process.stderr.write(`  ${targetName} ${transport} N=${clients}: ${err.message}\n`);
        const missing = nodes.filter((_, i) => !acked.has(i)).map((n) => n.id);
        unconverged.push({ step, acked: times.length, missing: missing.slice(0, 10) });
      }
      const toNs = process.hrtime.bigint();
      const clientNow = fleet.cpu();
      const [user, system] = [clientNow.userS - clientCpu.userS, clientNow.systemS - clientCpu.systemS];
      const lat = times.map((t) => t - at);
      latencies.push(...lat);
      if (lat.length === clients) stepMaxMs.push(Math.max(...lat));
      if (lat.length > 0) {
        const server = cpuTimes(target.pid);
        const serverSystemMs = (server.systemS - serverCpu.systemS) * 1000;
        const d: StepDetail = { firstMs: Math.min(...lat), p50Ms: percentile(lat, 50), p99Ms: percentile(lat, 99), maxMs: Math.max(...lat), serverCpuMs: (server.userS - serverCpu.userS) * 1000 + serverSystemMs, serverSystemMs, clientCpuMs: (user + system) * 1000, clientSystemMs: system * 1000, fromNs: `${fromNs}`, toNs: `${toNs}` };
        stepDetail.push(d);
        const cpu = (all: number, sys: number): string => `${all.toFixed(0)} (kernel ${sys.toFixed(0)})`;
        process.stderr.write(`  ${targetName} ${transport} N=${clients}: change ${step}: first ${d.firstMs.toFixed(0)} p50 ${d.p50Ms.toFixed(0)} p99 ${d.p99Ms.toFixed(0)} max ${d.maxMs.toFixed(0)} ms, CPU server ${cpu(d.serverCpuMs, serverSystemMs)} client ${cpu(d.clientCpuMs, d.clientSystemMs)} ms\n`);
      }
    }
    const cpuAfterChanges = cpuSeconds(target.pid);
    let churned: ChurnResult | FailedChurn | undefined;
    if (o.churnRate > 0 && o.churnS > 0) {
      await sleep(o.settleMs);
      churned = await churn(target, fleet, o);
      const summary = 'failed' in churned ? `failed: ${churned.failed}` : `p99 ${churned.convergence.p99Ms.toFixed(0)} ms`;
      process.stderr.write(`  ${targetName} ${transport} N=${clients}: churn ${summary}\n`);
    }
    const cpuAtEnd = cpuSeconds(target.pid);
    const rejects = await serverRejects(target);
    const rss = peakRssMib(target.pid);
    const client = fleet.cpu();
    const failed = failures(sidecars);
    if (failed) throw new Error(`sidecars failed${failed}`);
    const nacks = sidecars.reduce((sum, s) => sum + s.nacks, 0);

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
      change: { steps: o.changes, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), maxMs: Math.max(...latencies), stepMaxMs, stepDetail, ...(unconverged.length > 0 && { unconverged }) },
      ...(churned && { churn: churned }),
      targetCpu: {
        syncS: cpuAfterSync - cpuAtStart,
        changesS: cpuAfterChanges - cpuAfterSync,
        ...(churned && !('failed' in churned) && { churnS: churned.cpuS }),
        totalS: cpuAtEnd - cpuAtStart,
      },
      peakRssMib: rss,
      nacks: { count: nacks, ...(nacks > 0 && { first: sidecars.find((s) => s.firstNack)!.firstNack }) },
      ...(rejects !== undefined && { serverRejects: rejects }),
      client: { kind: o.client, cpuS: client.userS - clientCpu.userS + client.systemS - clientCpu.systemS, syncEventLoopUtilization: syncElu },
      ...(sameConfigAsPeer !== undefined && { sameConfigAsPeer }),
    };
  } finally {
    await fleet?.close();
    await target.stop();
  }
}

/** `run`, with a run that could not finish (over its time or memory bound, or its server died)
 * recorded as such rather than thrown, so a sweep goes on and keeps every row. */
export async function runOutcome(target: TargetName, transport: Transport, clients: number, o: Options): Promise<Outcome> {
  const loadAverage = os.loadavg()[0]!;
  try {
    return await run(target, transport, clients, o);
  } catch (err) {
    const failed = err instanceof Error ? err.message : String(err);
    process.stderr.write(`  ${target} ${transport} N=${clients} services=${o.services}${o.scope ? ` scope=${o.scope}` : ''} failed: ${failed}\n`);
    return { target, transport, clients, services: o.services, ...(o.scope > 0 && { scope: o.scope }), loadAverage, failed };
  }
}

/** The peer serves one snapshot to every sidecar; that is only fair if Mast's translation gives
 * every one of them the same config, which this checks for the first and the last. */
export function checkOneClass(clients: number, o: Options): void {
  const dir = path.join(tempDir('bench-check'), 'mesh');
  writeMesh(dir, o.services, o.scope);
  checkMesh(dir);
  const { snapshot } = snapshotOfDir(dir);
  const [first, last] = [benchNode(0, o.sharedIp), benchNode(clients - 1, o.sharedIp)].map((n) => translate(snapshot, proxyOf(n)));
  if (!sameResources(first!, last!)) throw new Error('sidecars of the bench deployment get different configs; the peer cannot serve them one snapshot');
}

export const list = (s: string): string[] => s.split(',').map((x) => x.trim()).filter(Boolean);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      clients: { type: 'string', default: '100,1000' },
      services: { type: 'string', default: '1000' },
      scope: { type: 'string', default: '0' },
      transport: { type: 'string', default: 'sotw,delta' },
      target: { type: 'string', default: 'mast,peer' },
      changes: { type: 'string', default: '5' },
      'churn-rate': { type: 'string', default: '10' },
      'churn-s': { type: 'string', default: '60' },
      'shared-ip': { type: 'boolean', default: false },
      client: { type: 'string', default: 'go' },
      'sync-timeout-s': { type: 'string', default: '900' },
      'change-timeout-s': { type: 'string', default: '600' },
      'max-rss-mib': { type: 'string', default: '10240' },
      out: { type: 'string', default: path.join(__dirname, 'results') },
    },
  });
  if (!(CLIENT_KINDS as readonly string[]).includes(values.client)) throw new Error(`--client: one of ${CLIENT_KINDS.join(', ')}, not ${values.client}`);
  const base: Omit<Options, 'scope'> = {
    client: values.client as ClientKind,
    services: Number(values.services),
    changes: Number(values.changes),
    churnRate: Number(values['churn-rate']),
    churnS: Number(values['churn-s']),
    settleMs: 1000,
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

  mkdirSync(values.out, { recursive: true });
  const file = path.join(values.out, `xds-load-${String(info.date).replace(/[:.]/g, '-')}.json`);
  const results: Outcome[] = [];
  for (const scope of scopes) {
    const o: Options = { ...base, scope };
    for (const clients of clientCounts) {
      for (const transport of transports) {
        for (const target of targets) {
          results.push(await runOutcome(target, transport, clients, o));
          // After every run, so that an interrupted matrix keeps the rows it measured.
          writeFileSync(file, `${JSON.stringify({ machine: info, options: { ...base, scopes }, results }, null, 2)}\n`);
        }
      }
    }
  }
  console.log(table(results));
  console.log(`\n${JSON.stringify(info)}\nresults: ${path.relative(process.cwd(), file)}`);
}

/** Runs `main` as a command: the harness's processes are cleaned up, and the process exits, since
 * client channels and timers would keep it alive for nothing. */
export function command(name: string, main: () => Promise<void>): void {
  main()
    .catch((err: unknown) => {
      process.stderr.write(`${name}: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
      process.exitCode = 1;
    })
    .finally(async () => {
      await cleanup();
      process.exit();
    });
}

if (require.main === module) command('xds-load', main);
