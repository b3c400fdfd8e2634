// One application of a proxy's EnvoyFilters to one translation part: the patches by applyTo in
// the order they apply, which resource each applied patch touched (so a resource Envoy would
// reject is traced to the patch, src/xds/checked-build.ts), what each patch found, and the
// findings of the stage itself (a patch that breaks the HTTP filter order, one that names a filter
// the proxy does not have).
import { diagnostic } from '../../model/errors';
import { patchesOf, contextMatches, type ApplyTo, type Patch, type PatchContext } from './patches';
import type { Diagnostic, EnvoyFilter, ObjectRef, Snapshot } from '../../model/types';

type Obj = Record<string, unknown>;

const ROUTER = 'envoy.filters.http.router';
const ROUTER_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';

function refOfKey(key: string): ObjectRef {
  const [, namespace = '', name = ''] = key.split('/');
  return { kind: 'EnvoyFilter', namespace, name };
}

const isRouter = (f: Obj) => f.name === ROUTER || (f.typed_config as Obj | undefined)?.['@type'] === ROUTER_TYPE;

/** Envoy's terminal-filter rule for an HTTP filter chain (Utility::validateTerminalFilters): the router last, and once. */
export function filterOrderProblem(filters: readonly Obj[]): string | undefined {
  const routers = filters.flatMap((f, i) => (isRouter(f) ? [i] : []));
  if (routers.length === 0) return undefined;
  if (routers.length > 1) return `the HTTP filter chain would hold ${routers.length} routers`;
  if (routers[0] !== filters.length - 1) return `${String(filters[filters.length - 1]?.name)} would follow ${ROUTER}, which must be the last HTTP filter`;
  return undefined;
}

export class PatchRun {
  private readonly byApplyTo = new Map<ApplyTo, Patch[]>();
  private readonly found = new Set<Patch>();
  private readonly touches = new Map<Obj, Set<string>>();
  private current: Obj | undefined;
  readonly findings: Diagnostic[] = [];

  constructor(filters: readonly EnvoyFilter[], private readonly snapshot: Snapshot) {
    for (const f of filters) {
      for (const p of patchesOf(f)) {
        const list = this.byApplyTo.get(p.applyTo);
        if (list) list.push(p);
        else this.byApplyTo.set(p.applyTo, [p]);
      }
    }
  }

  /** The patches of `applyTo` whose context matches `context`, in the order they apply. */
  patches(applyTo: ApplyTo, context: PatchContext): Patch[] {
    return (this.byApplyTo.get(applyTo) ?? []).filter((p) => contextMatches(p, context));
  }

  /** The top-level resource the next patches apply to. */
  enter(resource: Obj): void {
    this.current = resource;
  }

  /** `p` found what it matches (and changed the current resource). */
  applied(p: Patch): void {
    this.found.add(p);
    if (!this.current) return;
    const set = this.touches.get(this.current) ?? new Set();
    set.add(`${p.filter}#${p.field}`);
    this.touches.set(this.current, set);
  }

  /** `EnvoyFilter/ns/name#spec.configPatches[i]` of each patch that changed `resource`. */
  touchesOf(resource: Obj): readonly string[] {
    return [...(this.touches.get(resource) ?? [])].sort();
  }

  /** Refuses `p` for breaking the HTTP filter order (MAST4004): the proxy goes without its EnvoyFilter. */
  rejectOrder(p: Patch, problem: string): void {
    this.report(p, 'MAST4004', `${p.field} (${p.applyTo} ${p.operation}): ${problem}; Envoy would reject the listener`);
  }

  /**
   * MAST4003 for each filter-level patch of `context` that names a filter (REMOVE, REPLACE,
   * INSERT_BEFORE, INSERT_AFTER) and found it on no listener this part holds: the part that holds
   * every listener of that context calls this.
   */
  reportUnfound(context: PatchContext): void {
    for (const applyTo of ['NETWORK_FILTER', 'HTTP_FILTER'] as const) {
      for (const p of this.byApplyTo.get(applyTo) ?? []) {
        if (p.context !== context || this.found.has(p) || !['REMOVE', 'REPLACE', 'INSERT_BEFORE', 'INSERT_AFTER'].includes(p.operation)) continue;
        const named = applyTo === 'HTTP_FILTER' ? p.listener?.filterChain?.filter?.subFilter?.name : p.listener?.filterChain?.filter?.name;
        if (!named) continue;
        this.report(p, 'MAST4003', `${p.field} (${applyTo} ${p.operation}) names ${named}, which no ${context} listener of a proxy it selects has; the patch does nothing there`);
      }
    }
  }

  private report(p: Patch, code: 'MAST4003' | 'MAST4004', message: string): void {
    if (this.findings.some((d) => d.code === code && d.object?.name === refOfKey(p.filter).name && d.object.namespace === refOfKey(p.filter).namespace && d.field === p.field)) return;
    const object = refOfKey(p.filter);
    const origin = this.snapshot.object(object)?.origin;
    this.findings.push(diagnostic(code, `${p.filter}: ${message}`, { object, ...(origin ? { origin } : {}), field: p.field }));
  }
}
