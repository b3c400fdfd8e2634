// The EnvoyFilter patch stage: after a translation part is built and before its resources are
// checked and encoded (src/xds/checked-build.ts), the EnvoyFilters that select the proxy patch
// what the part holds, each resource in the context Istio patches it in (SIDECAR_INBOUND,
// SIDECAR_OUTBOUND, GATEWAY). ADDs land in one part per context, so they are added once.
//
// A proxy no EnvoyFilter selects keeps its part's own key, and so shares its pieces and their
// bytes with every other such proxy, exactly as without this stage; a proxy some select is keyed
// by them as well, and proxies selected by the same ones share their patched pieces.
import { refKey, refOf, type EnvoyFilter, type Snapshot } from '../../model/types';
import type { TranslationPart } from '../parts';
import type { NamedResource, ProxyClass, ProxyRole } from '../types';
import { patchClusters } from './cluster-patch';
import { patchListeners } from './listener-patch';
import { contextMatches, patchesOf, type ApplyTo, type PatchContext } from './patches';
import { patchRouteConfiguration } from './route-config-patch';
import { PatchRun } from './run';
import { envoyFiltersFor } from './select';

type Obj = Record<string, unknown>;

/** What of a part the stage patches, in which context, and whether that part takes the ADDs. */
interface Plan {
  clusters?: { context: PatchContext; adds: boolean };
  listeners?: { context: PatchContext; adds: boolean; complete: boolean };
  routes?: { context: PatchContext };
}

/**
 * By part name (parts.ts). A sidecar's outbound clusters come from two parts, so the services part
 * is patched and the fixed one takes the ADDs; its listeners of each direction are one part's,
 * which therefore reports filter patches that found nothing (`complete`).
 */
const PLANS: Record<ProxyRole, Record<string, Plan>> = {
  sidecar: {
    services: { clusters: { context: 'SIDECAR_OUTBOUND', adds: false } },
    'fixed-clusters': { clusters: { context: 'SIDECAR_OUTBOUND', adds: true } },
    'outbound-routes': { routes: { context: 'SIDECAR_OUTBOUND' } },
    'outbound-listeners': { listeners: { context: 'SIDECAR_OUTBOUND', adds: true, complete: true } },
    inbound: { clusters: { context: 'SIDECAR_INBOUND', adds: true }, listeners: { context: 'SIDECAR_INBOUND', adds: true, complete: true } },
  },
  router: {
    services: { clusters: { context: 'GATEWAY', adds: false } },
    gateway: { clusters: { context: 'GATEWAY', adds: true }, listeners: { context: 'GATEWAY', adds: true, complete: true }, routes: { context: 'GATEWAY' } },
  },
};

const LISTENER_CLASS: readonly ApplyTo[] = ['LISTENER', 'FILTER_CHAIN', 'NETWORK_FILTER', 'HTTP_FILTER', 'LISTENER_FILTER'];
const ROUTE_CLASS: readonly ApplyTo[] = ['ROUTE_CONFIGURATION', 'VIRTUAL_HOST', 'HTTP_ROUTE'];

/** The applyTo and context of each patch that can touch what a part under `plan` holds. */
function reach(plan: Plan): [readonly ApplyTo[], PatchContext][] {
  const out: [readonly ApplyTo[], PatchContext][] = [];
  if (plan.clusters) out.push([['CLUSTER'], plan.clusters.context]);
  // An inbound connection manager inlines its route table, which the route patches reach.
  if (plan.listeners) out.push([plan.listeners.context === 'SIDECAR_INBOUND' ? [...LISTENER_CLASS, ...ROUTE_CLASS] : LISTENER_CLASS, plan.listeners.context]);
  if (plan.routes) out.push([ROUTE_CLASS, plan.routes.context]);
  return out;
}

/**
 * The EnvoyFilters selecting `proxy` with a patch that can touch a part under `plan`: another
 * (a CLUSTER patch, for a routes part) leaves the part's key, pieces and bytes as they were.
 */
function reaching(snapshot: Snapshot, proxy: ProxyClass, plan: Plan): EnvoyFilter[] {
  const filters = envoyFiltersFor(snapshot, proxy);
  if (filters.length === 0) return filters;
  const scopes = reach(plan);
  return filters.filter((f) => patchesOf(f).some((p) => scopes.some(([applyTo, context]) => applyTo.includes(p.applyTo) && contextMatches(p, context))));
}

/** `part` with the EnvoyFilters that select a proxy applied to what it builds. */
export function withEnvoyFilters(part: TranslationPart, role: ProxyRole): TranslationPart {
  const plan = PLANS[role][part.name];
  if (!plan) return part;
  return {
    name: part.name,
    key: (proxy, snapshot) => {
      const own = part.key(proxy, snapshot);
      const filters = reaching(snapshot, proxy, plan).map((f) => refKey(refOf(f)));
      return filters.length > 0 ? JSON.stringify([own, filters]) : own;
    },
    build: (snapshot, proxy) => {
      const built = part.build(snapshot, proxy);
      const filters = reaching(snapshot, proxy, plan);
      if (filters.length === 0) return built;
      const run = new PatchRun(filters, snapshot);
      const out = { ...built };
      if (plan.clusters && built.clusters) out.clusters = patchNamed(built.clusters, run, (jsons) => patchClusters(run, plan.clusters!.context, jsons, plan.clusters!.adds, (c) => inboundHosts(snapshot, built.clusters ?? [], c)));
      if (plan.listeners && built.listeners) {
        out.listeners = patchNamed(built.listeners, run, (jsons) => patchListeners(run, plan.listeners!.context, jsons, plan.listeners!.adds));
        if (plan.listeners.complete) run.reportUnfound(plan.listeners.context);
      }
      if (plan.routes && built.routes) {
        out.routes = patchNamed(built.routes, run, (jsons) => {
          for (const rc of jsons) {
            run.enter(rc);
            patchRouteConfiguration(run, plan.routes!.context, rc);
          }
          return jsons;
        });
      }
      return run.findings.length > 0 ? { ...out, findings: run.findings } : out;
    },
    // A proxy a patch reaches has its part patched whole: a patch may match across services.
    ...(part.members && { members: (snapshot, proxy) => (reaching(snapshot, proxy, plan).length > 0 ? undefined : part.members!(snapshot, proxy)) }),
  };
}

/** The hostnames of the Services behind an inbound cluster, which a cluster match's `service` names. */
function inboundHosts(snapshot: Snapshot, resources: readonly NamedResource[], cluster: Obj): string[] {
  const r = resources.find((x) => x.name === cluster.name);
  return (r?.sources ?? []).flatMap((s) => {
    const [kind, namespace, name] = s.split('/');
    return kind === 'Service' ? [`${name}.${namespace}.svc.${snapshot.domain}`] : [];
  });
}

/**
 * Patches copies of `resources` with `apply`; a resource a patch touched comes back with its
 * unpatched self and the patches that touched it (NamedResource.patched), one an ADD brought with
 * those alone, and one no patch touched as it was, so its bytes stay shared.
 */
function patchNamed(resources: readonly NamedResource[], run: PatchRun, apply: (jsons: Obj[]) => Obj[]): NamedResource[] {
  const copies = resources.map((r) => structuredClone(r.json) as Obj);
  const original = new Map(copies.map((c, i) => [c, resources[i]!]));
  return apply(copies).map((json) => {
    const from = original.get(json);
    const by = run.touchesOf(json);
    if (from && by.length === 0) return from;
    const name = typeof json.name === 'string' ? json.name : from?.name ?? '';
    const sources = [...new Set([...(from?.sources ?? []), ...by.map((t) => t.slice(0, t.indexOf('#')))])].sort();
    return { name, json, sources, patched: { by, ...(from ? { original: from } : {}) } };
  });
}
