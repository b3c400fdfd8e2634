// The differences between Mast's verdict and Istio's that are known and kept on purpose, each
// with its reason in docs/istio-conformance.md under the same id. A rule names a kind of input,
// never one generated object: it holds when the findings on both sides show that kind.
import type { Diagnostic } from '../../src/model';
import type { IstioVerdict, Raw } from './istioctl';

export interface Difference {
  /** Anchor in docs/istio-conformance.md: `{#id}`. */
  id: string;
  /** Which side refuses. */
  refusedBy: 'mast' | 'istio';
  applies(object: Raw, mast: Diagnostic[], istio: IstioVerdict): boolean;
}

export const DIFFERENCES: Difference[] = [
  {
    // Every Istio error is about a field Mast warned it does not know, and Mast has no error.
    id: 'unknown-fields',
    refusedBy: 'istio',
    applies: (_object, mast, istio) =>
      mast.some((d) => d.code === 'MAST1007') && istio.errors.every((e) => /^cannot parse proto message: unknown field /.test(e)),
  },
  {
    // Go's regexp (Istio's validation, Go 1.25 and later) reads \p{...} class names without regard
    // to case and knows ASCII; Envoy's RE2 does not, and would refuse the whole route table.
    id: 're2-unicode-class-names',
    refusedBy: 'mast',
    applies: (_object, mast, istio) =>
      istio.errors.length === 0 && mast.filter((d) => d.severity === 'error').every((d) => d.code === 'MAST2004' && /unknown Unicode class/.test(d.message)),
  },
  {
    // Istio accepts; each Mast error is its schema's type check at a value that Istio's decoder
    // coerces: a number written as a string, an enum given by its number, a null list item.
    id: 'json-types',
    refusedBy: 'mast',
    applies: (object, mast, istio) =>
      istio.errors.length === 0 &&
      mast
        .filter((d) => d.severity === 'error')
        .every((d) => {
          if (d.code !== 'MAST1006' || !d.field) return false;
          const value = valueAt(object, d.field);
          return (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) || typeof value === 'number' || value === null;
        }),
  },
  {
    // Istio accepts; every Mast error is the API server's name check, which istioctl validate does
    // not make: the object could never be created in a cluster.
    id: 'kubernetes-names',
    refusedBy: 'mast',
    applies: (_object, mast, istio) => istio.errors.length === 0 && mast.filter((d) => d.severity === 'error').every((d) => d.code === 'MAST2103'),
  },
  {
    // Istio lets status 600 through; Envoy refuses it (its range is [200, 600)).
    id: 'envoy-status-600',
    refusedBy: 'mast',
    applies: (_object, mast, istio) =>
      istio.errors.length === 0 && mast.filter((d) => d.severity === 'error').every((d) => /HTTP status 600 is accepted by Istio but refused by Envoy/.test(d.message)),
  },
];

/** The value at a finding's field, `spec.http[0].match[0].headers["x-a"]`. */
function valueAt(object: Raw, field: string): unknown {
  let value: unknown = object;
  for (const [, name, index, quoted] of field.matchAll(/\.?([A-Za-z_][\w-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g)) {
    const key = name ?? (index !== undefined ? Number(index) : (JSON.parse(quoted as string) as string));
    value = typeof value === 'object' && value !== null ? (value as Record<string | number, unknown>)[key] : undefined;
  }
  return value;
}
