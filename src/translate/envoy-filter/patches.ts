// An EnvoyFilter's configPatches as the patch stage applies them (Istio's
// EnvoyFilterConfigPatchWrapper, pilot/pkg/model/envoyfilter.go convertToEnvoyFilterWrapper):
// each value read once into normalised proto3 JSON, an INSERT_* on a kind that has no order made
// an ADD, and the patches of every EnvoyFilter that applies to a proxy gathered by applyTo, in the
// order those EnvoyFilters apply.
import { normaliseMessage } from '../../model/envoy-proto-json';
import { VALUE_TYPES, type ApplyTo, type ClusterMatch, type ListenerMatch, type Operation, type PatchContext, type RawConfigPatch, type RouteConfigurationMatch } from '../../model/envoy-filter-spec';
import { refKey, refOf, type EnvoyFilter } from '../../model/types';

export type { ApplyTo, Operation, PatchContext } from '../../model/envoy-filter-spec';

/** One configPatch, ready to apply. */
export interface Patch {
  /** `EnvoyFilter/namespace/name`, and where in it: `spec.configPatches[2]`. */
  filter: string;
  field: string;
  applyTo: ApplyTo;
  operation: Operation;
  context: PatchContext;
  listener?: ListenerMatch;
  routeConfiguration?: RouteConfigurationMatch;
  cluster?: ClusterMatch;
  /** The value as translation writes JSON; `{}` for REMOVE. */
  value: Record<string, unknown>;
}

/** INSERT_* orders filters and routes only; elsewhere Istio applies it as ADD. */
const ORDERED: ReadonlySet<ApplyTo> = new Set(['HTTP_FILTER', 'NETWORK_FILTER', 'HTTP_ROUTE', 'LISTENER_FILTER']);

const compiled = new WeakMap<EnvoyFilter, Patch[]>();

/**
 * The patches of `filter` that can apply to some proxy: one with a proxyVersion match applies to
 * none, since Mast's proxies carry no Istio version (Istio's proxyMatch fails a regex against a
 * proxy without one). Model validation has refused a value that does not read as its type.
 */
export function patchesOf(filter: EnvoyFilter): Patch[] {
  let patches = compiled.get(filter);
  if (patches) return patches;
  const key = refKey(refOf(filter));
  const raw = (filter.spec.configPatches ?? []) as (RawConfigPatch | null)[];
  patches = raw.flatMap((cp, i): Patch[] => {
    if (!cp?.applyTo || !cp.patch?.operation || (cp.patch.operation as string) === 'MERGE_AND_REPLACE_LIST') return [];
    if (cp.match?.proxy?.proxyVersion || Object.keys(cp.match?.proxy?.metadata ?? {}).length > 0) return [];
    const applyTo = cp.applyTo;
    const operation = cp.patch.operation.startsWith('INSERT_') && !ORDERED.has(applyTo) ? 'ADD' : cp.patch.operation;
    const value = cp.patch.value === undefined ? {} : normaliseMessage(VALUE_TYPES[applyTo], cp.patch.value).value;
    return [
      {
        filter: key,
        field: `spec.configPatches[${i}]`,
        applyTo,
        operation,
        context: cp.match?.context ?? 'ANY',
        ...(cp.match?.listener ? { listener: cp.match.listener } : {}),
        ...(cp.match?.routeConfiguration ? { routeConfiguration: cp.match.routeConfiguration } : {}),
        ...(cp.match?.cluster ? { cluster: cp.match.cluster } : {}),
        value,
      },
    ];
  });
  compiled.set(filter, patches);
  return patches;
}

/** The context a patch asks for matches `context` (patchContextMatch). */
export function contextMatches(patch: Patch, context: PatchContext): boolean {
  return patch.context === 'ANY' || patch.context === context;
}
