// A workload identity as the SPIFFE ID its certificate carries and clients verify, the way Istio
// writes it (pkg/spiffe/spiffe.go genSpiffeURI): spiffe://<trust domain>/ns/<namespace>/sa/<sa>.

/** `spiffe://td/ns/NS/sa/SA` for the workload running as service account `serviceAccount` in `namespace`. */
export function spiffeId(trustDomain: string, id: { namespace: string; serviceAccount: string }): string {
  return `spiffe://${trustDomain}/ns/${id.namespace}/sa/${id.serviceAccount}`;
}
