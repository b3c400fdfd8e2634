// Services as the snapshot serves them. File mode has no API server to refuse a second Service
// with a live one's clusterIP (validate/cluster-ips.ts), so Mast serves the younger one without it.
import { creationOrder, type Admissions } from './creation-order';
import { refKey, refOf, type Diagnostic, type Service } from './types';
import { canonical, clusterIPConflicts } from './validate/cluster-ips';

const unaddressed = new WeakMap<Service, Service>();

/** `service` without its clusterIP, the same object each time, so that snapshots share it. */
function withoutClusterIP(service: Service): Service {
  let copy = unaddressed.get(service);
  if (!copy) {
    const fresh: Service = { ...service };
    delete fresh.clusterIP;
    copy = Object.freeze(fresh);
    unaddressed.set(service, copy);
  }
  return copy;
}

/**
 * Each of `services` (accepted versions, any order) paired with the version the snapshot serves:
 * itself, or, for a Service whose clusterIP an older one has, a copy without it (MAST2105 into
 * `findings`), as the API server would never have allocated it the address. In creation order.
 */
export function servedServices(services: readonly Service[], admissions: Admissions): { served: [accepted: Service, served: Service][]; findings: Diagnostic[] } {
  const ordered = [...services].sort(creationOrder(admissions));
  const conflicts = clusterIPConflicts(ordered);
  return { served: ordered.map((s) => [s, conflicts.losers.has(s) ? withoutClusterIP(s) : s]), findings: conflicts.findings };
}

/** The address a Service claims, in one spelling; none for a headless one or one without. */
function addressOf(service: Service | undefined): string | undefined {
  const ip = service?.clusterIP;
  return ip && ip !== 'None' ? canonical(ip) : undefined;
}

/**
 * `servedServices` kept from one snapshot to the next: Services by clusterIP, so that a changed
 * Service's conflicts are settled among the Services sharing its old or new address alone, in
 * creation order, as `servedServices` over all of them would.
 */
export class ServedServices {
  private readonly byAddress = new Map<string, Set<Service>>();
  private readonly findingOf = new Map<Service, Diagnostic>();

  /**
   * Takes the accepted Services that changed (before, after; undefined: added or removed), and
   * returns each Service whose served version may have changed, by key (`Kind/namespace/name`),
   * with that version; a removed one maps to undefined.
   */
  update(moved: readonly (readonly [before: Service | undefined, after: Service | undefined])[], admissions: Admissions): Map<string, Service | undefined> {
    const out = new Map<string, Service | undefined>();
    const addresses = new Set<string>();
    for (const [before, after] of moved) {
      const [was, is] = [addressOf(before), addressOf(after)];
      if (before) {
        this.findingOf.delete(before);
        if (was) this.holders(was).delete(before);
        out.set(keyOf(before), undefined);
      }
      if (after) {
        if (is) this.holders(is).add(after);
        out.set(keyOf(after), after);
      }
      for (const ip of [was, is]) if (ip) addresses.add(ip);
    }
    for (const ip of addresses) {
      const group = [...this.holders(ip)].sort(creationOrder(admissions));
      if (!group.length) this.byAddress.delete(ip);
      const conflicts = clusterIPConflicts(group);
      for (const service of group) this.findingOf.delete(service);
      // clusterIPConflicts names each loser once, in order.
      const losers = [...conflicts.losers];
      conflicts.findings.forEach((d, i) => this.findingOf.set(losers[i]!, d));
      for (const service of group) out.set(keyOf(service), conflicts.losers.has(service) ? withoutClusterIP(service) : service);
    }
    return out;
  }

  /** The MAST2105 findings of the Services as they are now. */
  findings(): Diagnostic[] {
    return [...this.findingOf.values()];
  }

  private holders(ip: string): Set<Service> {
    let set = this.byAddress.get(ip);
    if (!set) this.byAddress.set(ip, (set = new Set()));
    return set;
  }
}

const keyOf = (service: Service): string => refKey(refOf(service));
