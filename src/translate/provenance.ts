// Every resource says which model objects produced it, so /debug, NACK reports and a future
// `mast explain` can point back at the YAML a user wrote.
import { refKey, type ObjectRef } from '../model/types';

export interface Provenance {
  filter_metadata: { mast: { sources: string[] } };
}

/** Envoy `Metadata` naming `refs` as `Kind/namespace/name`, sorted and without repeats. */
export function provenance(refs: readonly ObjectRef[]): Provenance {
  const sources = [...new Set(refs.map(refKey))].sort();
  return { filter_metadata: { mast: { sources } } };
}
