// Whether Mast's proxies have what Mast has: read from /debug/syncz (src/admin/server.ts), where
// each connection lists, per xDS type, the version last sent and the version last ACKed.
import type { ConnectionStatus } from '../../src/xds/connection';
import type { Mesh, Workload } from './mesh';

export interface Syncz {
  generation: number;
  proxies: ConnectionStatus[];
}

/**
 * Why the mesh's Envoys are not in sync with Mast, or undefined when they are: each workload has a
 * connection at Mast's current generation on which every type was sent and that version ACKed.
 * Any set of workloads will do (bench/envoy-fleet.ts passes its fleet).
 */
export function notSynced(mesh: { workloads: readonly Pick<Workload, 'pod' | 'nodeId'>[] }, syncz: Syncz): string | undefined {
  for (const w of mesh.workloads) {
    const p = syncz.proxies.find((x) => x.proxyId === w.nodeId);
    if (!p) return `${w.pod} is not connected`;
    if (p.generation !== syncz.generation) return `${w.pod} is at generation ${p.generation}, Mast at ${syncz.generation}`;
    const behind = p.types.find((t) => t.sentVersion === undefined || t.ackedVersion !== t.sentVersion);
    if (behind) return `${w.pod} has not ACKed ${behind.type} ${behind.sentVersion ?? '(nothing sent)'}`;
  }
  return undefined;
}

/**
 * True when every Envoy of the mesh has ACKed what Mast last sent it; otherwise throws saying which
 * is behind, so a `waitFor` on it that times out names the proxy.
 */
export async function synced(mesh: Mesh): Promise<true> {
  const why = notSynced(mesh, await mesh.mast.syncz<Syncz>());
  if (why) throw new Error(why);
  return true;
}
