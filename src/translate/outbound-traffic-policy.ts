// Where a proxy sends what it has no service for (MeshConfig outboundTrafficPolicy.mode; Istio's
// util.IsAllowAnyOutbound and buildCatchAllVirtualHost in pilot/pkg/networking/core/httproute.go).
import type { OutboundTrafficPolicyMode, Snapshot } from '../model/types';
import type { ProxyClass } from './types';

/** What the mode depends on of a proxy. */
export type OutboundPolicyFacets = Pick<ProxyClass, 'namespace' | 'labels'>;

/**
 * The outbound traffic policy mode of `proxy`: the Sidecar's that applies to it, when that sets
 * one (one without `mode` is REGISTRY_ONLY, the zero value of the Sidecar API's enum), else the
 * mesh's (`--mesh-config`, Istio's default ALLOW_ANY), as Istio's initSidecarScopeInternalIndexes
 * decides it. Outbound parts are keyed by the Sidecar that applies (sidecar-scope-snapshot.ts).
 *
 * What each mode does (listeners/outbound.ts, routes/outbound.ts): REGISTRY_ONLY answers an HTTP
 * request for an unknown host 502 (`block_all`) and closes a connection to an unknown port
 * (BlackHoleCluster). ALLOW_ANY passes both on to their original destination (`allow_any`,
 * PassthroughCluster), which only transparent capture (interceptionMode REDIRECT) knows: a
 * sidecar without capture (NONE: the app sends to the sidecar's outbound address) has nowhere to
 * pass them, so it blocks them in either mode.
 */
export function outboundTrafficPolicyMode(snapshot: Snapshot, proxy: OutboundPolicyFacets): OutboundTrafficPolicyMode {
  const own = snapshot.sidecarFor(proxy.namespace, proxy.labels)?.spec.outboundTrafficPolicy;
  return own ? ((own.mode as OutboundTrafficPolicyMode | undefined) ?? 'REGISTRY_ONLY') : snapshot.outboundTrafficPolicy;
}

/** Whether requests for unknown hosts leave the proxy for where they were addressed. */
export function passesUnknownHosts(snapshot: Snapshot, proxy: OutboundPolicyFacets & Pick<ProxyClass, 'interceptionMode'>): boolean {
  return proxy.interceptionMode === 'REDIRECT' && outboundTrafficPolicyMode(snapshot, proxy) === 'ALLOW_ANY';
}
