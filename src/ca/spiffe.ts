// Workload identities as SPIFFE IDs, the way Istio writes them (pkg/spiffe/spiffe.go):
// spiffe://<trust domain>/ns/<namespace>/sa/<service account>.

/** A workload identity: the namespace and service account a proxy runs as. */
export interface WorkloadIdentity {
  namespace: string;
  serviceAccount: string;
}

/**
 * Why `td` cannot be a trust domain, or undefined if it can: lowercase letters, digits, dots,
 * dashes and underscores, 1 to 255 of them (SPIFFE-ID spec, section 2.1).
 */
export function trustDomainProblem(td: string): string | undefined {
  if (td.length === 0 || td.length > 255) return 'a trust domain is 1 to 255 characters';
  if (!/^[a-z0-9._-]+$/.test(td)) return 'a trust domain has only lowercase letters, digits, ".", "-" and "_"';
  return undefined;
}

/** `spiffe://td/ns/NS/sa/SA`. */
export function spiffeId(trustDomain: string, id: WorkloadIdentity): string {
  return `spiffe://${trustDomain}/ns/${id.namespace}/sa/${id.serviceAccount}`;
}

/** One string per identity, for maps: `NS/SA` (neither may hold a slash in Kubernetes). */
export function identityKey(id: WorkloadIdentity): string {
  return `${id.namespace}/${id.serviceAccount}`;
}
