// Findings that need more than one object: checked when a snapshot is assembled.
import { diagnostic } from '../errors';
import { resolveHost } from '../hosts';
import { refKey, refOf, type DestinationRule, type Diagnostic, type VirtualService } from '../types';

type RuleFor = (host: string, namespace: string) => DestinationRule | undefined;

/**
 * MAST3001 (a warning, Istio's analyzer IST0101 ReferencedResourceNotFound) for each route or
 * mirror naming a subset that no applicable DestinationRule defines. Istio serves such a route
 * anyway, to a cluster that does not exist, so that request alone fails (503).
 */
export function subsetReferenceErrors(vs: VirtualService, ruleFor: RuleFor, domain: string): Diagnostic[] {
  const ns = vs.meta.namespace;
  const found: Diagnostic[] = [];
  const check = (destination: { host?: string; subset?: string } | undefined, field: string): void => {
    if (!destination?.subset || !destination.host) return;
    const host = resolveHost(destination.host, ns, domain);
    const rule = ruleFor(host, ns);
    if (rule?.spec.subsets?.some((s) => s.name === destination.subset)) return;
    const why = rule ? `DestinationRule ${refKey(refOf(rule))} does not define it` : `no DestinationRule applies to ${host}`;
    const message = `subset ${destination.subset} of ${host} is unknown (${why}); requests this route sends there fail with 503 (Istio: IST0101)`;
    found.push(diagnostic('MAST3001', message, { object: refOf(vs), origin: vs.origin, field }));
  };
  (vs.spec.http ?? []).forEach((rule, i) => {
    (rule.route ?? []).forEach((route, j) => check(route.destination, `spec.http[${i}].route[${j}].destination.subset`));
    check(rule.mirror, `spec.http[${i}].mirror.subset`);
    (rule.mirrors ?? []).forEach((mirror, k) => check(mirror.destination, `spec.http[${i}].mirrors[${k}].destination.subset`));
  });
  return found;
}
