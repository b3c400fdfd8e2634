// Which Telemetry resources apply to a proxy, and in which order they override each other, as
// Istio's Telemetries.applicableTelemetries builds them (pilot/pkg/model/telemetry.go): the root
// namespace's namespace-wide one, then the proxy's namespace's (when that is not the root), then
// every one in the proxy's namespace whose selector or targetRefs pick the workload, in creation
// order. A namespace-wide Telemetry is one with neither; of several, the oldest is used.
import type { Snapshot, Telemetry } from '../../model/types';
import { attaches, type Workload } from '../../model/workload-selection';

function namespaceWide(t: Telemetry): boolean {
  return Object.keys(t.spec.selector?.matchLabels ?? {}).length === 0 && !t.spec.targetRef && !(t.spec.targetRefs ?? []).length;
}

/**
 * The Telemetries that apply to `workload`, weakest first (root, namespace, then workload level in
 * creation order): a later one's settings override an earlier one's.
 */
export function applicableTelemetries(snapshot: Snapshot, workload: Workload): Telemetry[] {
  const all = snapshot.telemetries();
  const root = snapshot.rootNamespace;
  const wide = (ns: string) => all.find((t) => t.meta.namespace === ns && namespaceWide(t));
  const levels = [wide(root), workload.namespace !== root ? wide(workload.namespace) : undefined];
  const selecting = all.filter((t) => t.meta.namespace === workload.namespace && !namespaceWide(t) && attaches(t, workload));
  return [...levels.filter((t): t is Telemetry => t !== undefined), ...selecting];
}
