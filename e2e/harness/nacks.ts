// Every NACK Envoy sends shows in its own stats as an `update_rejected` counter: one per xDS
// subscription (listener_manager.lds, cluster_manager.cds, http.PREFIX.rds.ROUTE for each route
// table, cluster.NAME for each cluster's EDS). The suite reads them from each Envoy's admin API,
// so a NACK fails the test it happened in even when nothing else looked at that proxy
// (https://www.envoyproxy.io/docs/envoy/latest/configuration/overview/mgmt_server#xds-subscription-statistics).
import { get } from './net';

/** The admin API of one Envoy, and how to name it in a failure. */
export interface AdminTarget {
  name: string;
  adminUrl: string;
}

/** Envoy's `update_rejected` counters that are not 0, by stat name; throws if the admin API does not answer. */
export async function rejectedUpdates(envoy: AdminTarget): Promise<Record<string, number>> {
  const r = await get(`${envoy.adminUrl}/stats?filter=${encodeURIComponent('\\.update_rejected$')}`, { timeoutMs: 3000 });
  if (r.status !== 200) throw new Error(`envoy ${envoy.name} /stats: ${r.status} ${r.text.slice(0, 200)}`);
  const counters: Record<string, number> = {};
  for (const line of r.text.split('\n')) {
    const m = /^(\S+): (\d+)$/.exec(line.trim());
    if (m && m[2] !== '0') counters[m[1]!] = Number(m[2]);
  }
  return counters;
}

/**
 * Each Envoy's counters as last checked, by whichever watch checked it: a NACK a test's check
 * reported (or declared) is not reported again when the mesh or the Envoy stops.
 */
const checked = new WeakMap<AdminTarget, Record<string, number>>();

/**
 * Watches a set of Envoys for NACKs between checks. Counters are compared with the last check, so
 * one NACK fails one check; a counter that went away (its cluster or route table was removed) is
 * not a NACK.
 */
export class NackWatch {
  constructor(private readonly envoys: () => readonly AdminTarget[]) {}

  /** `envoy: counter +N` for each counter that rose since the last call, which becomes the new baseline. */
  async risen(): Promise<string[]> {
    const lines: string[] = [];
    await Promise.all(this.envoys().map(async (e) => {
      const now = await rejectedUpdates(e);
      const before = checked.get(e) ?? {};
      for (const [stat, n] of Object.entries(now)) {
        const rise = n - (before[stat] ?? 0);
        if (rise > 0) lines.push(`${e.name}: ${stat} +${rise}`);
      }
      checked.set(e, now);
    }));
    return lines.sort();
  }

  /** Fails naming every counter that rose since the last check: a NACK nobody declared. */
  async assertNone(when: string): Promise<void> {
    const lines = await this.risen();
    if (lines.length > 0) throw new Error(`Envoy rejected an update (NACK) ${when}:\n  ${lines.join('\n  ')}`);
  }

  /**
   * A test that provokes NACKs on purpose declares them: each pattern must match a counter that
   * rose (the NACK really happened), and nothing else may have risen. Returns what rose.
   */
  async expect(patterns: readonly RegExp[], when: string): Promise<string[]> {
    const lines = await this.risen();
    const missing = patterns.filter((p) => !lines.some((l) => p.test(l)));
    const unexpected = lines.filter((l) => !patterns.some((p) => p.test(l)));
    if (missing.length > 0) throw new Error(`expected NACKs ${when} did not happen: ${missing.join(', ')} (rose: ${lines.join('; ') || 'nothing'})`);
    if (unexpected.length > 0) throw new Error(`Envoy rejected an update (NACK) ${when} that was not expected:\n  ${unexpected.join('\n  ')}`);
    return lines;
  }
}
