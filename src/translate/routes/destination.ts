// Where a VirtualService destination goes: the cluster name for its host, port and subset.
import type { VirtualService } from '../../model/types';
import { resolveHost } from '../../model/hosts';
import { outboundClusterName } from '../names';
import type { RouteContext } from './context';
import type { Destination } from './istio-types';

/**
 * The destination's cluster. The host resolves in the VirtualService's namespace. Without a port,
 * a service with a single port means that port; otherwise the port the traffic came in on, which
 * on a gateway may name a cluster that does not exist (Envoy then answers 503, as Istio's would).
 */
export function destinationCluster(dest: Destination, vs: VirtualService, ctx: Pick<RouteContext, 'snapshot' | 'port'>): string {
  const host = resolveHost(dest.host, vs.meta.namespace, ctx.snapshot.domain);
  const ports = ctx.snapshot.serviceByHost(host)?.ports ?? [];
  const port = dest.port?.number ?? (ports.length === 1 ? (ports[0]?.port ?? ctx.port) : ctx.port);
  return outboundClusterName(port, host, dest.subset ?? '');
}
