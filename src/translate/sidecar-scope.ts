// What a sidecar proxy may see of the mesh, as the Sidecar that applies to it says: Istio's
// SidecarScope (pilot/pkg/model/sidecar.go: convertToSidecarScope, convertIstioListenerToWrapper,
// selectServices, collectImportedServices; virtualservice.go: SelectVirtualServices). Without a
// Sidecar a proxy sees the whole mesh, and nothing here runs.
import { resolveHost } from '../model/hosts';
import { refKey, refOf, type ServicePort, type Sidecar, type Snapshot, type VirtualService } from '../model/types';
import { hostMatches } from './hosts';
import type { ProxyClass } from './types';
import { MESH_GATEWAY, virtualServiceHosts, virtualServicesFor } from './routes/virtual-services';

/** The egress hosts of one namespace part (`ns/...`, `*` for every namespace), as Istio's hostClassification. */
interface Imports {
  exact: Set<string>;
  /** Exact and wildcard hosts, in the order written. */
  all: string[];
  /** Hosts of `~ns/host` entries: never imported from that namespace part. */
  excluded: string[];
}

/** One `egress[]` entry: its port (undefined for the catch-all) and its hosts by namespace part. */
interface EgressListener {
  port?: number;
  imports: Map<string, Imports>;
}

/** What Snapshot.services() lists: a Kubernetes Service, or a host of a ServiceEntry. */
export type ScopedService = ReturnType<Snapshot['services']>[number];

export interface SidecarScope {
  sidecar: Sidecar;
  /** The namespace `./` means: the proxy's (a root-namespace default applies in every namespace). */
  namespace: string;
  /**
   * What outbound listeners and route tables are built from: each service with the ports the
   * egress listener owning that port imports it on (the listener naming the port, else the
   * catch-all), as Istio's per-port egress listeners build them.
   */
  listenerServices: ScopedService[];
  /** What clusters and endpoints are built from: listenerServices plus the destinations of the VirtualServices in scope (collectImportedServices). */
  clusterServices: ScopedService[];
  /** The mesh VirtualServices whose hosts the egress listeners import. */
  virtualServices: VirtualService[];
}

const WILDCARD_NAMESPACE = '*';

/** `hosts` as Istio's convertIstioListenerToWrapper reads them; `.` is the proxy's namespace, `~ns` an exclusion. */
function classify(hosts: readonly string[], namespace: string): Map<string, Imports> {
  const byNamespace = new Map<string, Imports>();
  for (const entry of hosts) {
    if (entry.split('/').length !== 2) continue; // validation refuses it; Istio logs and skips it
    let [ns, name] = entry.split('/') as [string, string];
    const excluded = ns.startsWith('~');
    if (excluded) ns = ns.slice(1) || WILDCARD_NAMESPACE;
    if (ns === '.') ns = namespace;
    const imports = byNamespace.get(ns) ?? { exact: new Set<string>(), all: [], excluded: [] };
    byNamespace.set(ns, imports);
    const host = name.toLowerCase();
    if (excluded) imports.excluded.push(host);
    else {
      if (!host.startsWith('*')) imports.exact.add(host);
      imports.all.push(host);
    }
  }
  return byNamespace;
}

/** hostClassification.Matches: `host` (maybe a wildcard itself) is a subset of an imported host. */
function matches(imports: Imports, host: string): boolean {
  if (imports.exact.has(host)) return true;
  return imports.all.some((imported) => (host.startsWith('*') || imported.startsWith('*')) && hostMatches(imported, host));
}

function excluded(imports: Imports | undefined, host: string): boolean {
  return imports?.excluded.some((pattern) => hostMatches(pattern, host)) ?? false;
}

/** selectServices for one service: imported from its own namespace part or from `*`, and not excluded by either. */
function imports(listener: EgressListener, service: ScopedService): boolean {
  const own = listener.imports.get(service.meta.namespace);
  const any = listener.imports.get(WILDCARD_NAMESPACE);
  if (excluded(own, service.hostname) || excluded(any, service.hostname)) return false;
  return (own !== undefined && matches(own, service.hostname)) || (any !== undefined && matches(any, service.hostname));
}

/** hostClassification.VSMatches, the sidecar way: the hosts overlap in either direction. */
function importsVirtualService(listener: EgressListener, vs: VirtualService, domain: string): boolean {
  const candidates = [listener.imports.get(vs.meta.namespace), listener.imports.get(WILDCARD_NAMESPACE)];
  return virtualServiceHosts(vs, domain).some((host) => {
    if (candidates.some((c) => excluded(c, host))) return false;
    return candidates.some((c) => c !== undefined && (c.exact.has(host) || c.all.some((imported) => (host.startsWith('*') || imported.startsWith('*')) && (hostMatches(imported, host) || hostMatches(host, imported)))));
  });
}

/** The hosts (with ports, 0 for every port) a VirtualService routes or mirrors to, as Istio's virtualServiceDestinations. */
function destinations(vs: VirtualService, domain: string): Map<string, Set<number>> {
  const found = new Map<string, Set<number>>();
  const add = (d: { host?: string; port?: { number?: number } } | undefined) => {
    if (!d?.host) return;
    const host = resolveHost(d.host, vs.meta.namespace, domain);
    const ports = found.get(host) ?? new Set<number>();
    ports.add(d.port?.number ?? 0);
    found.set(host, ports);
  };
  const spec = vs.spec as {
    http?: { route?: { destination?: { host?: string } }[]; mirror?: { host?: string }; mirrors?: { destination?: { host?: string } }[] }[];
    tcp?: { route?: { destination?: { host?: string } }[] }[];
    tls?: { route?: { destination?: { host?: string } }[] }[];
  };
  for (const rule of spec.http ?? []) {
    for (const r of rule.route ?? []) add(r.destination);
    add(rule.mirror);
    for (const m of rule.mirrors ?? []) add(m.destination);
  }
  for (const rule of [...(spec.tcp ?? []), ...(spec.tls ?? [])]) for (const r of rule.route ?? []) add(r.destination);
  return found;
}

/** `service` with only `ports` (the same object when that is all of them), or undefined when none is left. */
function withPorts(service: ScopedService, keep: (port: ServicePort) => boolean): ScopedService | undefined {
  const ports = service.ports.filter(keep);
  if (ports.length === service.ports.length) return service;
  return ports.length > 0 ? { ...service, ports } : undefined;
}

/** Adds `service` to `into` by host, joining its ports with those already there (appendSidecarServices). */
function append(into: Map<string, ScopedService>, service: ScopedService): void {
  const there = into.get(service.hostname);
  if (!there) return void into.set(service.hostname, service);
  const missing = service.ports.filter((p) => !there.ports.some((q) => q.port === p.port));
  if (missing.length > 0) into.set(service.hostname, { ...there, ports: [...there.ports, ...missing].sort((a, b) => a.port - b.port) });
}

/** Whether a proxy of this class is scoped by a Sidecar at all: gateways never are (Istio's DefaultSidecarScopeForGateway). */
export function applicableSidecar(snapshot: Snapshot, proxy: Pick<ProxyClass, 'role' | 'namespace' | 'labels'>): Sidecar | undefined {
  return proxy.role === 'sidecar' ? snapshot.sidecarFor(proxy.namespace, proxy.labels) : undefined;
}

/**
 * What identifies a proxy's scope, for part keys: the Sidecar that applies and the namespace it
 * applies in; '' when none applies. Proxies with one key see the same services.
 */
export function sidecarScopeKey(snapshot: Snapshot, proxy: Pick<ProxyClass, 'role' | 'namespace' | 'labels'>): string {
  const sidecar = applicableSidecar(snapshot, proxy);
  return sidecar ? JSON.stringify([refKey(refOf(sidecar)), proxy.namespace]) : '';
}

/**
 * The scope of a sidecar proxy in `namespace` under `sidecar`. Services are those each egress
 * listener imports (`ns/host`, `ns/*`, `*\/host`, `*\/*`, wildcard hosts, `./`, `~` exclusions);
 * a listener with a port imports only that port of each. The VirtualServices bound to the mesh
 * whose hosts it imports come along, and so do the services those route to (on the ports they
 * name), for clusters only. A Sidecar without egress imports `*\/*`, as Istio's default.
 */
export function sidecarScope(snapshot: Snapshot, sidecar: Sidecar, namespace: string): SidecarScope {
  const written = (sidecar.spec.egress ?? []) as { port?: { number?: number }; hosts?: string[] }[];
  const listeners: EgressListener[] = (written.length > 0 ? written : [{ hosts: ['*/*'] }]).map((e) => ({
    ...(e.port?.number ? { port: e.port.number } : {}),
    imports: classify(e.hosts ?? [], namespace),
  }));
  const catchAll = listeners.find((l) => l.port === undefined);
  const owner = (port: number) => listeners.find((l) => l.port === port) ?? catchAll;

  const listened = new Map<string, ScopedService>();
  for (const service of snapshot.services()) {
    const kept = withPorts(service, (p) => {
      const listener = owner(p.port);
      return listener !== undefined && imports(listener, service);
    });
    if (kept) append(listened, kept);
  }

  // Delegates merged in, so that their destinations count; the merged copies keep their root's meta.
  const selected = virtualServicesFor(snapshot, MESH_GATEWAY, namespace).filter((vs) => listeners.some((l) => importsVirtualService(l, vs, snapshot.domain)));
  const roots = new Set(selected.map((vs) => vs.meta));
  const virtualServices = snapshot.virtualServices().filter((vs) => roots.has(vs.meta));
  const clusters = new Map(listened);
  for (const vs of selected) {
    const portOf = listeners.find((l) => importsVirtualService(l, vs, snapshot.domain))?.port;
    for (const [host, ports] of destinations(vs, snapshot.domain)) {
      const service = snapshot.serviceByHost(host);
      if (!service) continue;
      const kept = withPorts(service, (p) => (portOf !== undefined ? p.port === portOf : ports.has(0) || ports.has(p.port)));
      if (kept) append(clusters, kept);
    }
  }
  const inCreationOrder = (byHost: Map<string, ScopedService>) => {
    const order = new Map(snapshot.services().map((s, i) => [s.hostname, i]));
    return [...byHost.values()].sort((a, b) => (order.get(a.hostname) ?? 0) - (order.get(b.hostname) ?? 0));
  };
  return { sidecar, namespace, listenerServices: inCreationOrder(listened), clusterServices: inCreationOrder(clusters), virtualServices };
}
