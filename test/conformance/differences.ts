// The differences between Mast's verdict and Istio's that are known and kept on purpose, each
// with its reason in docs/istio-conformance.md under the same id. A rule names a kind of input,
// never one generated object: it holds when the findings on both sides show that kind.
import type { Diagnostic } from '../../src/model';
import { checkIstioSchema, type IstioKind } from '../../src/model/parse/istio-schema';
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
    // coerces: a number written as a string where the schema wants a number, an enum given by its
    // number, a null list item. A number anywhere else is not excused.
    id: 'json-types',
    refusedBy: 'mast',
    applies: (object, mast, istio) =>
      istio.errors.length === 0 &&
      mast
        .filter((d) => d.severity === 'error')
        .every((d) => {
          if (d.code !== 'MAST1006' || !d.field) return false;
          const path = segments(d.field);
          const value = valueAt(object, path);
          if (typeof value === 'string') return /^must be (integer|number)$/.test(d.message) && value.trim() !== '' && Number.isFinite(Number(value));
          if (typeof value === 'number') return d.message === 'must be string' && isEnumField(object, path);
          return value === null && typeof path[path.length - 1] === 'number';
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

/** A finding's field as keys and list indexes: `spec.http[0].match[0].headers["x-a"]`. */
function segments(field: string): (string | number)[] {
  return [...field.matchAll(/\.?([A-Za-z_][\w-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g)].map(([, name, index, quoted]) =>
    name ?? (index !== undefined ? Number(index) : (JSON.parse(quoted as string) as string)),
  );
}

/** The value at `path` in `object`. */
function valueAt(object: unknown, path: readonly (string | number)[]): unknown {
  return path.reduce<unknown>((value, key) => (typeof value === 'object' && value !== null ? (value as Record<string | number, unknown>)[key] : undefined), object);
}

/**
 * Whether Istio's schema lists the names the field at `path` may take (an enum, which Istio's
 * decoder also takes by number): with a string no enum holds put there, the schema says `enum` there.
 */
function isEnumField(object: Raw, path: readonly (string | number)[]): boolean {
  const probe = structuredClone(object) as Record<string | number, unknown>;
  const parent = valueAt(probe, path.slice(0, -1));
  if (typeof parent !== 'object' || parent === null) return false;
  (parent as Record<string | number, unknown>)[path[path.length - 1] as string | number] = '\u0000 not a name';
  const pointer = `/${path.map((k) => String(k).replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;
  const { errors } = checkIstioSchema({ kind: object.kind as IstioKind, apiVersion: String(object.apiVersion), raw: probe, probes: [] });
  return errors.some((e) => e.keyword === 'enum' && e.pointer === pointer);
}
