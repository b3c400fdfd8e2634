// The xDS load bench's churn (bench/xds-load.ts `--churn-rate`, `--churn-s`): endpoint changes
// handed over on a schedule, each timed until every sidecar has it. Apart from xds-load.ts, which
// runs it after the sync and the single changes, so that file holds the run and the command alone.
import { sleep } from '../../e2e/harness/net';
import { endpointIps, hasTrafficPolicy, PORT, serviceHost } from '../mesh-gen';
import type { Options } from '../xds-load';
import { cpuSeconds } from './proc-stats';
import { failures, type LoadFleet } from './load-fleet';
import { percentile, type ChurnResult, type FailedChurn } from './stats';
import type { Target } from './targets';
import { bounded } from './watch';

/** The service of xds-load's single change: one without Pods, so its slice alone decides its endpoints; the churn leaves it alone. */
export const CHANGED_SERVICE = 1;

/** The EDS cluster of service `service` in the bench mesh (bench/mesh-gen.ts). */
export const clusterOf = (service: number): string => `outbound|${PORT}||${serviceHost(service)}`;

/** Churn change `j`'s addresses for its service: the first endpoint moves to an address no change
 * used before (10.251.0.0 onwards), so every change is told apart from every other. */
function churnIps(j: number, service: number): string[] {
  return [`10.${251 + (j >> 16)}.${(j >> 8) & 255}.${j & 255}`, ...endpointIps(service).slice(1)];
}

/** The churn's services: those without Pods (a change to their slice alone decides their
 * endpoints), within the Sidecar's scope when there is one, except the single-change service. */
function churnServices(o: Options): number[] {
  const count = o.scope > 0 ? Math.min(o.scope, o.services) : o.services;
  return Array.from({ length: count }, (_, i) => i).filter((i) => !hasTrafficPolicy(i) && i !== CHANGED_SERVICE);
}

/** `o.churnRate` endpoint changes per second for `o.churnS` seconds, round-robin over the churn
 * services, each handed over on schedule whether or not the ones before have converged (as a busy
 * cluster's changes come). Per change: from its hand-over until every sidecar has ACKed the EDS
 * response listing its new address. CPU and bytes run from the first change until the last
 * change has reached every sidecar. */
export async function churn(target: Target, fleet: LoadFleet, o: Options): Promise<ChurnResult | FailedChurn> {
  const services = churnServices(o);
  const changes = Math.round(o.churnRate * o.churnS);
  const base = { rate: o.churnRate, seconds: o.churnS, changes };
  if (services.length === 0) return { ...base, converged: 0, failed: 'no service without Pods to change' };
  const converged: number[] = [];
  const done: Promise<void>[] = [];
  const bytesAtStart = await fleet.bytesReceived();
  const cpuAtStart = cpuSeconds(target.pid);
  const startedAt = performance.now();
  let lastIssued = startedAt;
  const issue = (j: number): void => {
    const service = services[j % services.length]!;
    const ips = churnIps(j, service);
    let at = 0;
    done.push(new Promise((resolve) => {
      fleet.expectAll(clusterOf(service), ips[0]!, (last) => {
        converged.push(last - at);
        resolve();
      });
    }));
    at = target.change(service, ips);
    lastIssued = at;
  };
  const issuing = (async () => {
    for (let j = 0; j < changes; j++) {
      const due = startedAt + (j * 1000) / o.churnRate;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      issue(j);
    }
  })();
  try {
    await bounded(issuing.then(() => Promise.all(done)), o.churnS * 1000 + o.changeTimeoutMs, 'churn', target, o.maxRssMib, () => `${converged.length}/${changes} changes converged${failures(fleet.clients)}`);
  } catch (err) {
    return { ...base, converged: converged.length, failed: err instanceof Error ? err.message : String(err) };
  }
  const wallMs = performance.now() - startedAt;
  return {
    ...base,
    issuedS: (lastIssued - startedAt) / 1000,
    convergence: { p50Ms: percentile(converged, 50), p99Ms: percentile(converged, 99), maxMs: Math.max(...converged) },
    wallS: wallMs / 1000,
    cpuS: cpuSeconds(target.pid) - cpuAtStart,
    bytes: (await fleet.bytesReceived()) - bytesAtStart,
  };
}
