// The clusters Envoy fetches remote JWKS through. Istio lets Envoy fetch a `jwksUri` itself only
// when the host is a mesh service or ServiceEntry (model.LookupCluster: `outbound|PORT||HOST`);
// Mast has no ServiceEntries yet, so for a host outside the mesh it adds that cluster itself,
// named as Istio would name the ServiceEntry's, and reached as a ServiceEntry with DNS resolution
// would be. An https JWKS server is verified against the system roots and its host name.
import { isIP } from 'node:net';
import { refOf, type RequestAuthentication, type Snapshot } from '../../model/types';
import { jwksCluster } from '../../translate/clusters';
import type { NamedResource } from '../../translate/types';
import { fileTlsContext, tlsSocket } from '../mtls/upstream-tls';
import { isMeshHost, jwksClusterName, jwksSource } from './jwt-authn';

/**
 * One cluster per distinct JWKS host and port outside the mesh among `policies`' rules that take
 * their keys from `jwksUri` (inline `jwks` wins, as in Istio), sourced from the policies naming it.
 */
export function jwksClusters(snapshot: Snapshot, policies: readonly RequestAuthentication[]): NamedResource[] {
  const byName = new Map<string, { host: string; port: number; tls: boolean; policies: RequestAuthentication[] }>();
  for (const policy of policies) {
    for (const rule of policy.spec.jwtRules ?? []) {
      const source = !rule.jwks && rule.jwksUri ? jwksSource(rule.jwksUri) : undefined;
      if (!source || isMeshHost(snapshot, source)) continue;
      const name = jwksClusterName(source);
      const entry = byName.get(name) ?? { ...source, policies: [] };
      if (!entry.policies.includes(policy)) entry.policies.push(policy);
      byName.set(name, entry);
    }
  }
  return [...byName].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, { host, port, tls, policies: named }]) => {
    const socket = tls ? tlsSocket(fileTlsContext({ mode: 'SIMPLE', sni: host, subjectAltNames: [host] }, false)) : undefined;
    return jwksCluster(name, host, port, isIP(host) !== 0 ? 'STATIC' : 'STRICT_DNS', socket, named.map(refOf));
  });
}
