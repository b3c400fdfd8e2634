// What the real-Envoy fleet bench (bench/envoy-fleet.ts) reads while it runs: when every Envoy
// has converged on Mast's generation (Mast's /debug/syncz and each Envoy's own stats), and how
// each Envoy's config_dump compares with what Mast sent it. Apart from envoy-fleet.ts, which then
// holds the run's steps, its figures and the command.
import type { Mast } from '../../e2e/harness/mast';
import { getJson, sleep } from '../../e2e/harness/net';
import { isRunning } from '../../e2e/harness/processes';
import { notSynced, type Syncz } from '../../e2e/harness/syncz';
import { compare, envoyDump, type Comparison, type MastDump } from './fleet-compare';
import { unsettled, xdsStats, type FleetMember } from './fleet';

/** Waits until every Envoy has ACKed Mast's generation `atLeast` or later and settled; resolves with ms since `since`. */
export async function converged(mast: Mast, fleet: readonly FleetMember[], atLeast: number, since: number, timeoutMs: number, pollMs: number): Promise<number> {
  let why = 'not polled yet';
  let last: Syncz | undefined;
  while (performance.now() - since < timeoutMs) {
    if (!isRunning(mast.proc)) throw new Error(`Mast exited; see ${mast.proc.logFile}`);
    const dead = fleet.find((m) => !isRunning(m.envoy.proc));
    if (dead) throw new Error(`envoy ${dead.pod} exited; see ${dead.envoy.proc.logFile}`);
    const syncz = await debug<Syncz>(mast, '/debug/syncz');
    last = syncz;
    const nacked = syncz.proxies.flatMap((p) => p.types.filter((t) => t.lastNack).map((t) => `${p.proxyId} NACKed ${t.type} ${t.lastNack!.version ?? ''}: ${t.lastNack!.message}`));
    if (nacked.length > 0) throw new Error(`NACK:\n  ${nacked.join('\n  ')}`);
    why = syncz.generation < atLeast ? `Mast at generation ${syncz.generation}, waiting for ${atLeast}` : notSynced({ workloads: fleet }, syncz) ?? '';
    if (!why) {
      const stats = await Promise.all(fleet.map(async (m) => [m.pod, await xdsStats(m.envoy).then(unsettled, (err: Error) => `no stats (${err.message})`)] as const));
      const nack = stats.find(([, s]) => s?.startsWith('NACKed'));
      if (nack) throw new Error(`envoy ${nack[0]} ${nack[1]}`);
      const behind = stats.find(([, s]) => s);
      if (!behind) return performance.now() - since;
      why = `envoy ${behind[0]}: ${behind[1]}`;
    }
    await sleep(pollMs);
  }
  // Each connection of the proxy that is behind, as syncz lists it: what was sent and ACKed, when.
  const pod = /^(\S+)/.exec(why)?.[1];
  const member = fleet.find((m) => m.pod === pod);
  const conns = member && last ? last.proxies.filter((p) => p.proxyId === member.nodeId).map((p) => ({ ...p, types: p.types.map(({ subscribed, ...t }) => ({ ...t, subscribed: subscribed.length })) })) : [];
  throw new Error(`not converged after ${timeoutMs / 1000} s: ${why}${conns.length ? `\n  its connections at generation ${last!.generation}: ${JSON.stringify(conns)}` : ''}`);
}

/**
 * A GET of Mast's /debug/PATH (file mode needs no token) that waits as long as a busy Mast takes:
 * the harness's Mast.syncz and configDump give up after 3 s, which one Mast translating 1000
 * services for 50 proxies on two shared cores can exceed.
 */
function debug<T>(mast: Mast, pathAndQuery: string): Promise<T> {
  return getJson<T>(`${mast.adminUrl}${pathAndQuery}`, { timeoutMs: 120_000 });
}

/** Mast's generation now (/debug/syncz). */
export async function generation(mast: Mast): Promise<number> {
  return (await debug<Syncz>(mast, '/debug/syncz')).generation;
}

/** Every Envoy's config_dump against Mast's for its proxy, two at a time (each dump is megabytes). */
export async function compareFleet(mast: Mast, fleet: readonly FleetMember[]): Promise<{ first: Comparison; differences: string[] }> {
  const results: Comparison[] = [];
  const differences: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < fleet.length) {
      const i = next++;
      const m = fleet[i]!;
      const [held, sent] = await Promise.all([envoyDump(m.envoy), debug<MastDump>(mast, `/debug/config_dump?proxy=${encodeURIComponent(m.nodeId)}`)]);
      const c = compare(held, sent);
      results[i] = c;
      differences.push(...c.differences.map((d) => `${m.pod}: ${d}`));
    }
  };
  await Promise.all([worker(), worker()]);
  return { first: results[0]!, differences: differences.sort() };
}

/** Fails unless Mast's own config for the proxy already carries `needle` in the named resource: the change reached Mast. */
export async function mastHas(mast: Mast, proxyId: string, kind: 'endpoints' | 'routes', test: (json: string) => boolean, what: string): Promise<void> {
  const dump = await debug<MastDump>(mast, `/debug/config_dump?proxy=${encodeURIComponent(proxyId)}`);
  if (!dump[kind].some((r) => test(JSON.stringify(r.json)))) throw new Error(`Mast's config for ${proxyId} does not show ${what}`);
}
