// CLUSTER patches, as Istio's ApplyClusterMerge and InsertedClusters do them
// (pilot/pkg/networking/core/envoyfilter/cluster_patch.go) on proto3 JSON: a REMOVE drops a
// matching cluster, a MERGE merges into it (a transport_socket of the same name merges its
// typed_config, else replaces it), and ADDs come after.
import { contextMatches, type Patch, type PatchContext } from './patches';
import { mergeAny, protoMerge } from './proto-merge';
import type { PatchRun } from './run';

type Obj = Record<string, unknown>;

/**
 * clusterMatch: a name matches alone; otherwise the subset, service host and port of an
 * `outbound|PORT|SUBSET|HOST` name. An inbound cluster (`inbound|PORT||`) answers for the
 * hostnames of the Services behind it (`hosts`).
 */
function clusterMatch(c: Obj, p: Patch, hosts: readonly string[]): boolean {
  const m = p.cluster;
  if (!m) return true;
  if (m.name) return m.name === c.name;
  const [direction = '', port = '', subset = '', host = ''] = String(c.name ?? '').split('|');
  const matchHosts = direction === 'inbound' && hosts.length > 0 ? hosts : [host];
  if (m.subset && m.subset !== subset) return false;
  if (m.service && !matchHosts.includes(m.service)) return false;
  if (m.portNumber && m.portNumber !== (Number(port) || 0)) return false;
  return true;
}

/** mergeTransportSocketCluster: whether it handled the patch's transport_socket itself. */
function mergeTransportSocket(c: Obj, p: Patch): boolean {
  const patchSocket = p.value.transport_socket as Obj | undefined;
  if (!patchSocket) return false;
  const matches = c.transport_socket_matches as Obj[] | undefined;
  if (matches?.length) {
    const found = matches.find((m) => (m.transport_socket as Obj | undefined)?.name === patchSocket.name);
    // Merging would give both transport_socket and its matches, which is not valid: the patch is dropped.
    if (found) {
      const socket = found.transport_socket as Obj;
      socket.typed_config = mergeAny(socket.typed_config, patchSocket.typed_config);
    }
    return true;
  }
  const socket = c.transport_socket as Obj | undefined;
  if (socket && socket.name === patchSocket.name && socket.typed_config && patchSocket.typed_config) socket.typed_config = mergeAny(socket.typed_config, patchSocket.typed_config);
  else c.transport_socket = structuredClone(patchSocket);
  return true;
}

/**
 * Applies the CLUSTER patches of `run` for `context` to `clusters` (changed in place; removed ones
 * dropped), adding the clusters an ADD brings when `adds` is set. `hostsOf` gives an inbound
 * cluster's Service hostnames.
 */
export function patchClusters(run: PatchRun, context: PatchContext, clusters: Obj[], adds: boolean, hostsOf: (c: Obj) => readonly string[]): Obj[] {
  const out: Obj[] = [];
  for (const c of clusters) {
    run.enter(c);
    let kept = true;
    for (const p of run.patches('CLUSTER', context)) {
      if (!clusterMatch(c, p, hostsOf(c))) continue;
      if (p.operation === 'REMOVE') {
        run.applied(p);
        kept = false;
        break;
      }
      if (p.operation !== 'MERGE') continue;
      run.applied(p);
      if (!mergeTransportSocket(c, p)) Object.assign(c, protoMerge('envoy.config.cluster.v3.Cluster', c, p.value));
    }
    if (kept) out.push(c);
  }
  if (adds) {
    for (const p of run.patches('CLUSTER', context)) {
      if (p.operation !== 'ADD' || !contextMatches(p, context)) continue;
      // A cluster ADD without a context is for sidecar outbound and gateways alone.
      if (p.context === 'ANY' && context === 'SIDECAR_INBOUND') continue;
      const added = structuredClone(p.value);
      run.enter(added);
      run.applied(p);
      out.push(added);
    }
  }
  return out;
}
