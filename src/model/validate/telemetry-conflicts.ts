// Two Telemetries for one workload. Istio uses the oldest namespace-wide one of a namespace
// (Telemetries.namespaceWideTelemetryConfig over Telemetries sorted by creation time) and merges
// every selecting one that picks a workload, in creation order (applicableTelemetries); its
// analyzers report both (galley/pkg/config/analysis/analyzers/telemetry:
// MultipleTelemetriesWithoutWorkloadSelectors, IST0160, and ConflictingTelemetryWorkloadSelectors,
// IST0159). Mast applies them as Istio does (src/translate/telemetry/applicable.ts) and says so.
import { diagnostic } from '../errors';
import { refOf, type Diagnostic, type Pod, type Telemetry } from '../types';
import { attaches } from '../workload-selection';

function namespaceWide(t: Telemetry): boolean {
  return Object.keys(t.spec.selector?.matchLabels ?? {}).length === 0 && !t.spec.targetRef && !(t.spec.targetRefs ?? []).length;
}

/**
 * MAST3013 for a second namespace-wide Telemetry in a namespace (it has no effect), and for one
 * that picks a Pod an older selecting Telemetry picks too (both apply, the newer's settings
 * last). `telemetries` in creation order.
 */
export function telemetryConflicts(telemetries: readonly Telemetry[], pods: readonly Pod[]): Diagnostic[] {
  const found: Diagnostic[] = [];
  const wide = new Map<string, Telemetry>();
  const selecting = new Map<string, Telemetry[]>();
  for (const t of telemetries) {
    const ns = t.meta.namespace;
    const at = { object: refOf(t), origin: t.origin };
    if (namespaceWide(t)) {
      const older = wide.get(ns);
      if (older) found.push(diagnostic('MAST3013', `namespace ${ns} already has Telemetry ${older.meta.name} without a selector; that older one applies and this one has no effect`, { ...at, field: 'spec' }));
      else wide.set(ns, t);
      continue;
    }
    const olders = selecting.get(ns) ?? [];
    for (const pod of pods) {
      if (pod.meta.namespace !== ns) continue;
      const workload = { namespace: ns, labels: pod.meta.labels };
      const older = attaches(t, workload) ? olders.find((o) => attaches(o, workload)) : undefined;
      if (older) {
        found.push(diagnostic('MAST3013', `selects Pod ${pod.meta.name}, which older Telemetry ${older.meta.name} selects too; both apply to it, this one's settings last`, { ...at, field: t.spec.selector ? 'spec.selector' : 'spec.targetRefs' }));
        break;
      }
    }
    selecting.set(ns, [...olders, t]);
  }
  return found;
}
