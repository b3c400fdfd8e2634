// What Mast makes of a batch of generated objects, and the checks the property test asserts on
// it: what the ConfigStore refuses, what each proxy is sent through the real ViewCache (with what
// its net left out, MAST4001), and whether other objects' routes stayed in place.
import { isDeepStrictEqual } from 'node:util';
import { ConfigStore, refKey, type Diagnostic, type ObjectRef, type Snapshot } from '../../src/model';
import { partsFor, translate } from '../../src/translate';
import type { EnvoyJson, ProxyClass, ResourceSet } from '../../src/translate/types';
import { ViewCache, type ViewError } from '../../src/xds/cache';
import type { Raw } from '../model/fixtures';
import { baseMesh, PROXIES } from './mesh';

export interface Loaded {
  snapshot: Snapshot;
  /** The generated objects in the snapshot. */
  admitted: Raw[];
  /** The generated objects the store refused, with its errors about each. */
  refused: { raw: Raw; errors: Diagnostic[] }[];
}

export function refOfRaw(raw: Raw): ObjectRef {
  const meta = (raw.metadata ?? {}) as Raw;
  return { kind: raw.kind as ObjectRef['kind'], namespace: (meta.namespace as string | undefined) || 'default', name: String(meta.name) };
}

/** The base mesh and `raws` loaded as files would be (one source each), as Mast's store reads them. */
export function load(raws: readonly Raw[]): Loaded {
  const store = new ConfigStore();
  store.replaceSource('base.yaml', baseMesh().map((raw, i) => ({ raw, origin: { file: 'base.yaml', doc: i + 1 } })));
  store.replaceSource('generated.yaml', raws.map((raw, i) => ({ raw, origin: { file: 'generated.yaml', doc: i + 1 } })));
  const snapshot = store.snapshot();
  const errors = store.diagnostics().filter((d) => d.severity === 'error');
  const admitted: Raw[] = [];
  const refused: Loaded['refused'] = [];
  raws.forEach((raw, i) => {
    if (snapshot.object(refOfRaw(raw))) admitted.push(raw);
    else refused.push({ raw, errors: errors.filter((d) => d.origin?.file === 'generated.yaml' && d.origin.doc === i + 1) });
  });
  return { snapshot, admitted, refused };
}

export interface SentView {
  name: string;
  proxy: ProxyClass;
  json: ResourceSet;
  /** MAST4001: what the view cache's net left out because Envoy would refuse it. */
  leftOut: Diagnostic[];
  /** Translation that threw (the cache then serves the last good piece, here none). */
  errors: ViewError[];
}

/** Translation failures are read from the cache's `errors`, not its log. */
const quiet = { error: (_o: object, _m: string) => undefined };

/** What Mast would send each proxy of mesh.ts: a view cache of its own per proxy, so each knows what was left out of its view. */
export function views(snapshot: Snapshot): SentView[] {
  return PROXIES.map(({ name, proxy }) => {
    const cache = new ViewCache((p) => partsFor(p.role), quiet);
    cache.setSnapshot(snapshot);
    const json = cache.viewFor(proxy).json();
    return { name, proxy, json, leftOut: cache.findings(), errors: [...cache.errors.values()] };
  });
}

// ------------------------------------------------------------------------------ isolation

const sourcesOf = (x: EnvoyJson): string[] => ((x.metadata as { filter_metadata?: { mast?: { sources?: string[] } } } | undefined)?.filter_metadata?.mast?.sources ?? []);

/** VirtualService key -> `routeConfig vhost` -> the routes it put there, in order. */
function routesByVirtualService(set: ResourceSet): Map<string, Map<string, EnvoyJson[]>> {
  const out = new Map<string, Map<string, EnvoyJson[]>>();
  for (const table of set.routes) {
    for (const vh of (table.json.virtual_hosts as EnvoyJson[] | undefined) ?? []) {
      for (const route of (vh.routes as EnvoyJson[] | undefined) ?? []) {
        for (const source of sourcesOf(route).filter((s) => s.startsWith('VirtualService/'))) {
          const byHost = out.get(source) ?? new Map<string, EnvoyJson[]>();
          const at = `${table.name} ${String(vh.name)}`;
          byHost.set(at, [...(byHost.get(at) ?? []), route]);
          out.set(source, byHost);
        }
      }
    }
  }
  return out;
}

/**
 * Isolation, part 1: the view equals a fresh view of a snapshot holding only the objects that
 * survived, i.e. without those the store refused and those the net left out of this proxy's
 * view. Whatever was refused or left out took nothing else with it (no route table, virtual host,
 * cluster or listener of another object), and the fresh view needs nothing left out.
 */
export function leftOutAlone(loaded: Loaded, view: SentView): string[] {
  const gone = new Set(view.leftOut.flatMap((d) => (d.object ? [refKey(d.object)] : [])));
  const survivors = loaded.admitted.filter((raw) => !gone.has(refKey(refOfRaw(raw))));
  const [fresh] = views(load(survivors).snapshot).filter((v) => v.name === view.name) as [SentView];
  const problems: string[] = [];
  if (fresh.leftOut.length) problems.push(`without what was refused or left out, the net still leaves out: ${fresh.leftOut.map((d) => d.message).join('; ')}`);
  for (const field of ['routes', 'listeners', 'clusters', 'endpoints'] as const) {
    const names = new Set([...view.json[field], ...fresh.json[field]].map((r) => r.name));
    for (const name of names) {
      const a = view.json[field].find((r) => r.name === name)?.json;
      const b = fresh.json[field].find((r) => r.name === name)?.json;
      if (!isDeepStrictEqual(a, b)) problems.push(`${field} ${name} differs from what the surviving objects alone give: ${a ? 'sent' : 'missing'} vs ${b ? 'expected' : 'not expected'}`);
    }
  }
  return problems;
}

/**
 * Isolation, part 2: every route a VirtualService puts into a proxy's route tables in the batch
 * is what it puts there when it is the only VirtualService (with the same DestinationRules,
 * Gateways and base mesh): no other VirtualService, admitted or refused, changes its routes.
 */
export function routesIndependent(loaded: Loaded, all: readonly SentView[]): string[] {
  const problems: string[] = [];
  const alone = new Map<string, Snapshot>();
  for (const view of all) {
    const gone = new Set(view.leftOut.flatMap((d) => (d.object ? [refKey(d.object)] : [])));
    const others = loaded.admitted.filter((raw) => raw.kind !== 'VirtualService' && !gone.has(refKey(refOfRaw(raw))));
    const key = [...gone].sort().join(',');
    for (const [vs, byHost] of routesByVirtualService(view.json)) {
      const own = loaded.admitted.find((raw) => refKey(refOfRaw(raw)) === vs);
      if (!own) {
        problems.push(`${view.name}: routes name ${vs}, which the store did not admit`);
        continue;
      }
      let snapshot = alone.get(`${vs} ${key}`);
      if (!snapshot) alone.set(`${vs} ${key}`, (snapshot = load([...others, own]).snapshot));
      const its = routesByVirtualService(translate(snapshot, view.proxy)).get(vs) ?? new Map<string, EnvoyJson[]>();
      for (const [at, routes] of byHost) {
        if (!isDeepStrictEqual(routes, its.get(at))) problems.push(`${view.name}: ${vs}'s routes in ${at} differ from what it gives alone: ${JSON.stringify(routes).slice(0, 400)} vs ${JSON.stringify(its.get(at) ?? null).slice(0, 400)}`);
      }
    }
  }
  return problems;
}
