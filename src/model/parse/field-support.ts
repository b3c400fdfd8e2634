// Finds the fields of an Istio object that Mast will not act on: the outermost field of each
// branch that SUPPORTED_FIELDS does not cover.
import { SUPPORTED_FIELDS } from '../supported';
import type { TranslatedIstioKind, Segment } from './istio-schema';
import { childPath, isRecord } from './read';

export interface IgnoredField {
  /** `spec.http[0].corsPolicy` */
  field: string;
  segments: Segment[];
}

// Kubernetes' own envelope; the schema of metadata and status is not Mast's concern.
const ENVELOPE = new Set(['apiVersion', 'kind', 'metadata', 'status']);

interface FieldTree {
  covered: Set<string>;
  /** Proper prefixes of covered fields: walked into rather than judged. */
  containers: Set<string>;
}

const trees = new Map<TranslatedIstioKind, FieldTree>();

function treeOf(kind: TranslatedIstioKind): FieldTree {
  let tree = trees.get(kind);
  if (!tree) {
    const covered = new Set(SUPPORTED_FIELDS[kind]);
    const containers = new Set<string>();
    for (const field of covered) {
      for (const m of field.matchAll(/\.|\[\]/g)) {
        containers.add(field.slice(0, m.index));
        if (m[0] === '[]') containers.add(field.slice(0, m.index + 2));
      }
    }
    tree = { covered, containers };
    trees.set(kind, tree);
  }
  return tree;
}

export function ignoredFields(kind: TranslatedIstioKind, raw: Record<string, unknown>): IgnoredField[] {
  const tree = treeOf(kind);
  const found: IgnoredField[] = [];
  const visit = (value: unknown, pattern: string, field: string, segments: Segment[]): void => {
    if (value === null || value === undefined || tree.covered.has(pattern)) return;
    if (!tree.containers.has(pattern)) {
      found.push({ field, segments });
      return;
    }
    if (Array.isArray(value)) value.forEach((v, i) => visit(v, `${pattern}[]`, childPath(field, i), [...segments, i]));
    else if (isRecord(value)) {
      for (const [k, v] of Object.entries(value)) visit(v, pattern ? `${pattern}.${k}` : k, childPath(field, k), [...segments, k]);
    }
  };
  for (const [k, v] of Object.entries(raw)) if (!ENVELOPE.has(k)) visit(v, k, k, [k]);
  return found;
}
