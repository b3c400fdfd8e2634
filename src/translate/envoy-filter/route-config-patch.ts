// ROUTE_CONFIGURATION, VIRTUAL_HOST and HTTP_ROUTE patches, as Istio's
// ApplyRouteConfigurationPatches does them (pilot/pkg/networking/core/envoyfilter/rc_patch.go) on
// proto3 JSON: the table merged, then each virtual host removed, merged or replaced and its routes
// patched, then virtual hosts added.
import { contextMatches, type Patch, type PatchContext } from './patches';
import { provenance } from '../provenance';
import { protoMerge } from './proto-merge';
import type { PatchRun } from './run';

type Obj = Record<string, unknown>;

/** `inbound|http|9080` or `9080`: the port a sidecar's route table is for (getListenerPortFromName). */
function portOfName(name: string): number {
  if (name.startsWith('inbound|')) return Number(name.split('|')[2]) || 0;
  return /^\d+$/.test(name) ? Number(name) : 0;
}

/**
 * routeConfigurationMatch. A gateway's table is named `http.PORT` or
 * `https.PORT.PORT_NAME.GATEWAY.NAMESPACE` (ParseGatewayRDSRouteName): portName and gateway
 * (`NAMESPACE/GATEWAY`) match those parts. Mast's gateway listens on the server port itself, so
 * the port is the number in the name.
 */
function routeConfigurationMatch(context: PatchContext, rc: Obj, p: Patch): boolean {
  const m = p.routeConfiguration;
  if (!m) return true;
  const name = String(rc.name ?? '');
  if (m.name && m.name !== name) return false;
  if (context !== 'GATEWAY') return !m.portNumber || m.portNumber === portOfName(name);
  const parts = name.split('.');
  const port = Number(parts[1]) || 0;
  const portName = parts[0] === 'https' ? (parts[2] ?? '') : '';
  const gateway = parts[0] === 'https' && parts.length >= 5 ? `${parts.slice(4).join('.')}/${parts[3]}` : '';
  if (m.portName && m.portName !== portName) return false;
  if (m.gateway && m.gateway !== gateway) return false;
  if (m.portNumber && m.portNumber !== port) return false;
  return true;
}

function virtualHostMatch(vh: Obj, p: Patch): boolean {
  const m = p.routeConfiguration?.vhost;
  if (!m) return true;
  return (!m.name || m.name === vh.name) && (!m.domainName || ((vh.domains ?? []) as string[]).includes(m.domainName));
}

const ACTIONS: Record<string, string> = { ROUTE: 'route', REDIRECT: 'redirect', DIRECT_RESPONSE: 'direct_response' };

function routeMatch(route: Obj, p: Patch): boolean {
  const m = p.routeConfiguration?.vhost?.route;
  if (!m) return true;
  if (m.name && m.name !== route.name) return false;
  if (m.action && m.action !== 'ANY') return ACTIONS[m.action] !== undefined && ACTIONS[m.action] as string in route;
  return true;
}

const hasRouteMatch = (p: Patch) => p.routeConfiguration?.vhost?.route !== undefined;

/**
 * A virtual host or route a patch brings in whole (ADD, INSERT_*, REPLACE), with its provenance
 * inside (provenance.ts: every virtual host and route made from a user's object names it), beside
 * whatever metadata the patch's value sets.
 */
function brought(p: Patch): Obj {
  const [, namespace = '', name = ''] = p.filter.split('/');
  const mast = provenance([{ kind: 'EnvoyFilter', namespace, name }], p.field);
  const named = (o: Obj): Obj => {
    const metadata = (o.metadata ?? {}) as { filter_metadata?: Obj };
    return { ...o, metadata: { ...metadata, filter_metadata: { ...(metadata.filter_metadata ?? {}), ...mast.filter_metadata } } };
  };
  const value = named(structuredClone(p.value));
  // A virtual host's routes come with it.
  if (p.applyTo === 'VIRTUAL_HOST' && Array.isArray(value.routes)) value.routes = (value.routes as Obj[]).map(named);
  return value;
}

/** Applies the route-class patches of `run` for `context` to `rc` (changed in place). */
export function patchRouteConfiguration(run: PatchRun, context: PatchContext, rc: Obj): void {
  const matches = (p: Patch) => contextMatches(p, context) && routeConfigurationMatch(context, rc, p);
  for (const p of run.patches('ROUTE_CONFIGURATION', context)) {
    if (p.operation !== 'MERGE' || !matches(p)) continue;
    Object.assign(rc, protoMerge('envoy.config.route.v3.RouteConfiguration', rc, p.value));
    run.applied(p);
  }
  const hosts: Obj[] = [];
  for (const original of (rc.virtual_hosts ?? []) as Obj[]) {
    let vh: Obj | undefined = original;
    for (const p of run.patches('VIRTUAL_HOST', context)) {
      if (!vh || !matches(p) || !virtualHostMatch(vh, p)) continue;
      run.applied(p);
      if (p.operation === 'REMOVE') vh = undefined;
      else if (p.operation === 'MERGE') vh = protoMerge('envoy.config.route.v3.VirtualHost', vh, p.value);
      else if (p.operation === 'REPLACE') vh = brought(p);
    }
    if (!vh) continue;
    patchRoutes(run, context, vh, matches);
    hosts.push(vh);
  }
  for (const p of run.patches('VIRTUAL_HOST', context)) {
    if (p.operation !== 'ADD' || !matches(p)) continue;
    hosts.push(brought(p));
    run.applied(p);
  }
  if (hosts.length > 0 || rc.virtual_hosts) rc.virtual_hosts = hosts;
}

function patchRoutes(run: PatchRun, context: PatchContext, vh: Obj, matches: (p: Patch) => boolean): void {
  const patches = run.patches('HTTP_ROUTE', context).filter((p) => matches(p) && virtualHostMatch(vh, p));
  if (patches.length === 0) return;
  let routes: Obj[] = [];
  for (const original of (vh.routes ?? []) as Obj[]) {
    let route: Obj | undefined = original;
    for (const p of patches) {
      if (!route || !routeMatch(route, p)) continue;
      if (p.operation === 'REMOVE') {
        route = undefined;
        run.applied(p);
      } else if (p.operation === 'MERGE') {
        route = protoMerge('envoy.config.route.v3.Route', route, p.value);
        run.applied(p);
      }
    }
    if (route) routes.push(route);
  }
  for (const p of patches) {
    const value = () => brought(p);
    const at = hasRouteMatch(p) ? routes.findIndex((r) => routeMatch(r, p)) : -1;
    switch (p.operation) {
      case 'ADD':
        routes = [...routes, value()];
        break;
      case 'INSERT_AFTER':
        if (!hasRouteMatch(p)) routes = [...routes, value()];
        else if (at >= 0) routes = [...routes.slice(0, at + 1), value(), ...routes.slice(at + 1)];
        break;
      case 'INSERT_BEFORE':
        if (!hasRouteMatch(p)) routes = [value(), ...routes];
        else if (at >= 0) routes = [...routes.slice(0, at), value(), ...routes.slice(at)];
        break;
      case 'INSERT_FIRST':
        // Istio inserts first only where some route matches, or anywhere without a route match.
        if (!hasRouteMatch(p) || at >= 0) routes = [value(), ...routes];
        break;
      default:
        continue;
    }
    if (!hasRouteMatch(p) || at >= 0 || p.operation === 'ADD') run.applied(p);
  }
  vh.routes = routes;
}
