// Delegation findings (src/model/delegation.ts). Istio only logs these (mergeVirtualServices:
// "delegate virtual service ... not found", "HTTPMatchRequests conflict"); a user reading Mast's
// findings sees each one on the object and field that causes it.
import { isDelegate, mergeDelegates } from '../delegation';
import { diagnostic } from '../errors';
import { refKey, refOf, type Diagnostic, type ObjectRef, type VirtualService } from '../types';

/**
 * For `virtualServices` as served: MAST3004 on a root's rule whose delegate is missing, has hosts
 * or is not exported to the root's namespace; MAST3005 on a delegate's rule whose matches conflict
 * with the delegating rule's, so it is dropped; MAST2002 on a delegate no root delegates to.
 */
export function delegationFindings(virtualServices: readonly VirtualService[], domain: string, defaultExportTo: readonly string[] = ['*']): Diagnostic[] {
  const byRef = new Map(virtualServices.map((vs) => [refKey(refOf(vs)), vs]));
  const lookup = (ref: ObjectRef): VirtualService | undefined => byRef.get(refKey(ref));
  const used = new Set<VirtualService>();
  const found: Diagnostic[] = [];
  for (const root of virtualServices) {
    const merged = mergeDelegates(root, lookup, domain, defaultExportTo);
    merged.delegates.forEach((d) => used.add(d));
    for (const p of merged.problems) {
      if (p.kind === 'unresolved') {
        const message = `delegate VirtualService ${p.delegate.namespace}/${p.delegate.name} ${p.reason}; this rule routes nothing`;
        found.push(diagnostic('MAST3004', message, { object: refOf(root), origin: root.origin, field: `spec.http[${p.rule}].delegate` }));
      } else {
        const message = `this rule's matches conflict with every match of VirtualService ${root.meta.namespace}/${root.meta.name} spec.http[${p.rule}], which delegates to it, so no request can reach it; it is left out`;
        found.push(diagnostic('MAST3005', message, { object: refOf(p.delegate), origin: p.delegate.origin, field: `spec.http[${p.delegateRule}].match` }));
      }
    }
  }
  for (const vs of virtualServices) {
    if (isDelegate(vs) && !used.has(vs)) {
      const message = 'no hosts: this VirtualService is a delegate, and no root VirtualService (one with hosts) delegates to it, so it has no effect';
      found.push(diagnostic('MAST2002', message, { object: refOf(vs), origin: vs.origin, field: 'spec.hosts' }));
    }
  }
  return found;
}
