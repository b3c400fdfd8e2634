// Two Sidecars for one workload: Istio applies the oldest (initSidecarScopes sorts by creation
// time, and doGetSidecarScope takes the first match) and its analyzers report the others
// (galley/pkg/config/analysis/analyzers/sidecar: MultipleSidecarsWithoutSelectors, IST0111, and
// ConflictingSidecarWorkloadSelectors, IST0110). Mast picks the same one (Snapshot.sidecarFor)
// and reports each other one once, at the field that makes it lose.
import { diagnostic } from '../errors';
import { labelsMatch } from '../labels';
import { refOf, type Diagnostic, type Pod, type Sidecar } from '../types';

/**
 * MAST3006 for each Sidecar that never applies to some workload because an older one does:
 * a second Sidecar without workloadSelector in a namespace, and one whose selector picks a Pod
 * an older selecting Sidecar of that namespace already picks. `sidecars` in creation order.
 */
export function sidecarConflicts(sidecars: readonly Sidecar[], pods: readonly Pod[]): Diagnostic[] {
  const found: Diagnostic[] = [];
  const namespaceWide = new Map<string, Sidecar>();
  const selecting = new Map<string, Sidecar[]>();
  for (const sidecar of sidecars) {
    const ns = sidecar.meta.namespace;
    const at = { object: refOf(sidecar), origin: sidecar.origin };
    const selector = sidecar.spec.workloadSelector?.labels;
    if (!sidecar.spec.workloadSelector) {
      const older = namespaceWide.get(ns);
      if (older) found.push(diagnostic('MAST3006', `namespace ${ns} already has Sidecar ${older.meta.name} without a workloadSelector; that older one applies and this one has no effect`, { ...at, field: 'spec.workloadSelector' }));
      else namespaceWide.set(ns, sidecar);
      continue;
    }
    const olders = selecting.get(ns) ?? [];
    const clash = pods.find((pod) => pod.meta.namespace === ns && labelsMatch(selector, pod.meta.labels) && olders.some((o) => labelsMatch(o.spec.workloadSelector?.labels, pod.meta.labels)));
    if (clash) {
      const older = olders.find((o) => labelsMatch(o.spec.workloadSelector?.labels, clash.meta.labels))!;
      found.push(diagnostic('MAST3006', `selects Pod ${clash.meta.name}, which older Sidecar ${older.meta.name} selects too; the older one applies to it`, { ...at, field: 'spec.workloadSelector.labels' }));
    }
    selecting.set(ns, [...olders, sidecar]);
  }
  return found;
}
