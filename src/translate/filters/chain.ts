// The order of HTTP filters, decided here and nowhere else. Envoy runs decoders top to bottom.
import type { HttpFilter } from './http-filter';
import { customRbacFilter, rbacFilter } from '../../policy/authorization/http-filter';
import { jwtAuthnFilter } from '../../policy/request-authentication/http-filter';
import { corsFilter } from './cors';
import { faultFilter } from './fault';
import { routerFilter } from './router';

/** Which connection manager a chain is for: a sidecar's outbound or inbound side, or a gateway. */
export type ChainKind = 'outbound' | 'inbound' | 'gateway';

// CORS and fault act only where VirtualServices route (outbound, gateway); inbound routes are
// Mast's own and carry neither.
const ORDER: readonly { filter: HttpFilter; on: readonly ChainKind[] }[] = [
  // Security first, where the workload receives traffic (a sidecar's inbound side, gateways), in
  // Istio's order (listener_builder.go): CUSTOM policies (ext_authz; for Mast, their deny rules),
  // then JWT authentication, then RBAC, which reads the verified token's claims from jwt_authn's
  // metadata (`requestPrincipals`, `request.auth.*`). A request is refused before any other
  // filter spends work on it. Each is computed per workload and absent where no policy applies.
  { filter: customRbacFilter, on: ['inbound', 'gateway'] },
  { filter: jwtAuthnFilter, on: ['inbound', 'gateway'] },
  { filter: rbacFilter, on: ['inbound', 'gateway'] },
  // Before fault (Istio puts it after): a preflight is the proxy's to answer, so it is answered
  // here and never meets a fault that stands in for the upstream.
  { filter: corsFilter, on: ['outbound', 'gateway'] },
  // An injected fault stands in for a failing upstream, so the request meets it before any
  // filter that would spend work on it.
  { filter: faultFilter, on: ['outbound', 'gateway'] },
  // Last, always: the router is terminal; it sends the request upstream.
  { filter: routerFilter, on: ['outbound', 'inbound', 'gateway'] },
];

export function httpFilters(kind: ChainKind): HttpFilter[] {
  return ORDER.filter((row) => row.on.includes(kind)).map((row) => row.filter);
}
