// LISTENER, FILTER_CHAIN, NETWORK_FILTER and HTTP_FILTER patches on listeners, as Istio's
// ApplyListenerPatches does them (pilot/pkg/networking/core/envoyfilter/listener_patch.go), on
// proto3 JSON: listeners removed or merged, then each filter chain, its network filters, and the
// HTTP filters of each http_connection_manager; ADDs last at each level. The route configuration
// inlined in an inbound connection manager takes the route patches too, as Istio patches the
// inbound route table (route-config-patch.ts).
import { VIRTUAL_INBOUND_LISTENER, VIRTUAL_OUTBOUND_LISTENER } from '../names';
import type { Patch, PatchContext } from './patches';
import { mergeAny, protoMerge } from './proto-merge';
import { patchRouteConfiguration } from './route-config-patch';
import { filterOrderProblem, type PatchRun } from './run';

type Obj = Record<string, unknown>;
const HCM = 'envoy.filters.network.http_connection_manager';
/** Names Istio's match takes for the connection manager (validation accepts the deprecated one). */
const HCM_NAMES = new Set([HCM, 'envoy.http_connection_manager']);
const HCM_TYPE = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

const isVirtual = (l: Obj) => l.name === VIRTUAL_INBOUND_LISTENER || l.name === VIRTUAL_OUTBOUND_LISTENER;

function listenerMatch(l: Obj, p: Patch): boolean {
  const m = p.listener;
  if (!m) return true;
  if (m.name && m.name !== l.name) return false;
  // The virtual listeners carry ports in their filter chains' matches (filterChainMatch).
  if (p.applyTo !== 'LISTENER' && isVirtual(l)) return true;
  if (m.portNumber) {
    const port = ((l.address as Obj | undefined)?.socket_address as Obj | undefined)?.port_value;
    if (port !== m.portNumber) return false;
  }
  return true;
}

function filterChainMatch(l: Obj, fc: Obj, p: Patch): boolean {
  const m = p.listener;
  if (!m) return true;
  const fcm = (fc.filter_chain_match ?? {}) as { server_names?: string[]; transport_protocol?: string; application_protocols?: string[]; destination_port?: number };
  if (isVirtual(l) && m.portNumber && fcm.destination_port !== m.portNumber) return false;
  const c = m.filterChain;
  if (!c) return true;
  if (c.name && c.name !== fc.name) return false;
  if (c.sni && !(fcm.server_names ?? []).includes(c.sni)) return false;
  if (c.transportProtocol && fcm.transport_protocol !== c.transportProtocol) return false;
  if (c.applicationProtocols && !c.applicationProtocols.split(',').every((a) => (fcm.application_protocols ?? []).includes(a))) return false;
  if (c.destinationPort && fcm.destination_port !== c.destinationPort) return false;
  return true;
}

const networkFilterName = (p: Patch) => p.listener?.filterChain?.filter?.name;
const httpFilterName = (p: Patch) => (networkFilterName(p) ? p.listener?.filterChain?.filter?.subFilter?.name : undefined);

/**
 * Istio's list operations on filters (insertBeforeFunc, insertAfterFunc, replaceFunc,
 * FilterInPlace): `named` is the filter the patch matches by name, undefined when it names none.
 * Returns the new list and whether the patch found what it names.
 */
export function applyToList(list: Obj[], p: Patch, named: string | undefined, nameOf: (o: Obj) => unknown): { list: Obj[]; found: boolean } {
  const value = structuredClone(p.value);
  const at = named === undefined ? -1 : list.findIndex((o) => nameOf(o) === named);
  switch (p.operation) {
    case 'ADD':
      return { list: [...list, value], found: true };
    case 'INSERT_FIRST':
      return { list: [value, ...list], found: true };
    case 'INSERT_BEFORE':
      if (named === undefined) return { list: [value, ...list], found: true };
      return at < 0 ? { list, found: false } : { list: [...list.slice(0, at), value, ...list.slice(at)], found: true };
    case 'INSERT_AFTER':
      if (named === undefined) return { list: [...list, value], found: true };
      return at < 0 ? { list, found: false } : { list: [...list.slice(0, at + 1), value, ...list.slice(at + 1)], found: true };
    case 'REPLACE':
      if (named === undefined) return { list, found: false };
      return at < 0 ? { list, found: false } : { list: list.map((o, i) => (i === at ? value : o)), found: true };
    case 'REMOVE':
      if (named === undefined || at < 0) return { list, found: false };
      return { list: list.filter((o) => nameOf(o) !== named), found: true };
    default:
      return { list, found: false };
  }
}

/** A filter MERGE (mergeHTTPFilter, patchNetworkFilter): a new name, and typed_config merged when the types agree. */
function mergeFilter(filter: Obj, p: Patch): void {
  if (!filter.typed_config) return;
  if (typeof p.value.name === 'string' && p.value.name) filter.name = p.value.name;
  if (p.value.typed_config) {
    const merged = mergeAny(filter.typed_config, p.value.typed_config);
    // Istio's MergeAnyWithAny fails on two types, and the filter keeps its config.
    if ((merged as Obj)['@type'] === (filter.typed_config as Obj)['@type']) filter.typed_config = merged;
  }
}

/**
 * Applies the listener-class patches in `run` for `context` to `listeners` (changed in place;
 * removed ones dropped), adding those a LISTENER ADD brings when `adds` is set.
 */
export function patchListeners(run: PatchRun, context: PatchContext, listeners: Obj[], adds: boolean): Obj[] {
  const out: Obj[] = [];
  for (const l of listeners) {
    run.enter(l);
    if (patchListener(run, context, l)) out.push(l);
  }
  if (adds) {
    for (const p of run.patches('LISTENER', context)) {
      if (p.operation !== 'ADD') continue;
      // A listener ADD without a context is for sidecar outbound and gateways alone.
      if (p.context === 'ANY' && context === 'SIDECAR_INBOUND') continue;
      const added = structuredClone(p.value);
      run.enter(added);
      run.applied(p);
      out.push(added);
    }
  }
  return out;
}

/** false when a patch removed the listener. */
function patchListener(run: PatchRun, context: PatchContext, l: Obj): boolean {
  for (const p of run.patches('LISTENER', context)) {
    if (!listenerMatch(l, p)) continue;
    if (p.operation === 'REMOVE') {
      run.applied(p);
      return false;
    }
    if (p.operation === 'MERGE') {
      Object.assign(l, protoMerge('envoy.config.listener.v3.Listener', l, p.value));
      run.applied(p);
    }
  }
  patchListenerFilters(run, context, l);
  const chains = ((l.filter_chains ?? []) as Obj[]).filter((fc) => patchFilterChain(run, context, l, fc));
  if (l.default_filter_chain && !patchFilterChain(run, context, l, l.default_filter_chain as Obj)) delete l.default_filter_chain;
  for (const p of run.patches('FILTER_CHAIN', context)) {
    if (p.operation !== 'ADD' || !listenerMatch(l, p)) continue;
    chains.push(structuredClone(p.value));
    run.applied(p);
  }
  if (chains.length > 0 || l.filter_chains) l.filter_chains = chains;
  return true;
}

/** LISTENER_FILTER patches (patchListenerFilters): list operations on listener_filters by name. */
function patchListenerFilters(run: PatchRun, context: PatchContext, l: Obj): void {
  let filters = (l.listener_filters ?? []) as Obj[];
  let changed = false;
  for (const p of run.patches('LISTENER_FILTER', context)) {
    if (!listenerMatch(l, p)) continue;
    const named = p.listener?.listenerFilter || undefined;
    if (p.operation === 'MERGE') {
      for (const f of filters) {
        if (named !== undefined && f.name !== named) continue;
        mergeFilter(f, p);
        run.applied(p);
      }
      continue;
    }
    const result = applyToList(filters, p, named, (f) => f.name);
    if (result.list !== filters) changed = true;
    filters = result.list;
    if (result.found) run.applied(p);
  }
  if (changed) l.listener_filters = filters;
}

/** false when a patch removed the chain. */
function patchFilterChain(run: PatchRun, context: PatchContext, l: Obj, fc: Obj): boolean {
  for (const p of run.patches('FILTER_CHAIN', context)) {
    if (!listenerMatch(l, p) || !filterChainMatch(l, fc, p)) continue;
    if (p.operation === 'REMOVE') {
      run.applied(p);
      return false;
    }
    if (p.operation === 'MERGE') {
      Object.assign(fc, protoMerge('envoy.config.listener.v3.FilterChain', fc, p.value));
      run.applied(p);
    }
  }
  let filters = (fc.filters ?? []) as Obj[];
  for (const p of run.patches('NETWORK_FILTER', context)) {
    if (!listenerMatch(l, p) || !filterChainMatch(l, fc, p) || p.operation === 'MERGE') continue;
    const result = applyToList(filters, p, networkFilterName(p), (f) => f.name);
    filters = result.list;
    if (result.found) run.applied(p);
  }
  for (const filter of filters) {
    for (const p of run.patches('NETWORK_FILTER', context)) {
      if (p.operation !== 'MERGE' || !listenerMatch(l, p) || !filterChainMatch(l, fc, p)) continue;
      const named = networkFilterName(p);
      if (named !== undefined && named !== filter.name) continue;
      mergeFilter(filter, p);
      run.applied(p);
    }
    if (filter.name === HCM) patchConnectionManager(run, context, l, fc, filter);
  }
  fc.filters = filters;
  return true;
}

function patchConnectionManager(run: PatchRun, context: PatchContext, l: Obj, fc: Obj, filter: Obj): void {
  const hcm = filter.typed_config as Obj | undefined;
  if (!hcm || hcm['@type'] !== `type.googleapis.com/${HCM_TYPE}`) return;
  let httpFilters = (hcm.http_filters ?? []) as Obj[];
  let changed = false;
  const selects = (p: Patch) => listenerMatch(l, p) && filterChainMatch(l, fc, p) && (networkFilterName(p) === undefined || HCM_NAMES.has(networkFilterName(p) as string));
  for (const p of run.patches('HTTP_FILTER', context)) {
    if (p.operation === 'MERGE' || !selects(p)) continue;
    const result = applyToList(httpFilters, p, httpFilterName(p), (f) => f.name);
    if (result.list !== httpFilters) {
      const problem = filterOrderProblem(result.list);
      if (problem && !filterOrderProblem(httpFilters)) {
        run.rejectOrder(p, problem);
        continue;
      }
      changed = true;
    }
    httpFilters = result.list;
    if (result.found) run.applied(p);
  }
  for (const httpFilter of httpFilters) {
    for (const p of run.patches('HTTP_FILTER', context)) {
      if (p.operation !== 'MERGE' || !selects(p)) continue;
      const named = httpFilterName(p);
      if (named !== undefined && named !== httpFilter.name) continue;
      mergeFilter(httpFilter, p);
      run.applied(p);
    }
  }
  if (changed) hcm.http_filters = httpFilters;
  if (hcm.route_config && context === 'SIDECAR_INBOUND') patchRouteConfiguration(run, context, hcm.route_config as Obj);
}
