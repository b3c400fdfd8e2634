// Every resource says which model objects produced it, so /debug, rejection reports and a future
// `mast explain` can point back at the YAML a user wrote. Two places, by what a change costs:
// - beside each resource (NamedResource.sources), never encoded: a listener or cluster whose
//   bytes change is drained or re-warmed by Envoy, and its sources change more often than its
//   behaviour (one more Service on port 9080 leaves the 9080 listener as it was);
// - inside route tables and endpoints, as Envoy metadata on each virtual host, route and
//   LbEndpoint, where the sources change only with the content, and a finer grain is what maps
//   a rejected field to the VirtualService it came from.
import { refKey, type ObjectRef } from '../model/types';

export interface Provenance {
  filter_metadata: { mast: { sources: string[]; field?: string } };
}

/** `refs` as `Kind/namespace/name`, sorted and without repeats. */
export function sourceKeys(refs: readonly ObjectRef[]): string[] {
  return [...new Set(refs.map(refKey))].sort();
}

/**
 * Envoy `Metadata` naming `refs`, for what is encoded with its provenance; `field` is where in the
 * (single) source object it came from, `spec.http[2].match[0]`, when that is one place.
 */
export function provenance(refs: readonly ObjectRef[], field?: string): Provenance {
  return { filter_metadata: { mast: { sources: sourceKeys(refs), ...(field ? { field } : {}) } } };
}
