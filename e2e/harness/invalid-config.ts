// Invalid objects the e2e tests feed Mast, each with one mistake a user makes, shared so every
// source (config dir, API server) is tested with the same input.

/** reviews split 0/0: several destinations that all weigh 0 (MAST2001 on spec.http[0].route). Istio's weights are relative, so 50/40 is valid. */
export const BAD_WEIGHTS = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - route:
    - {destination: {host: reviews, subset: v1}, weight: 0}
    - {destination: {host: reviews, subset: v2}, weight: 0}
`;

/**
 * A uri regex that does not compile (MAST2004 on spec.http[0].match[0].uri.regex), in an object of
 * its own: a second copy of a live object would be reported as that (MAST1010) and ignored.
 */
export const BAD_REGEX = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings-regex, namespace: default}
spec:
  hosts: [ratings]
  http:
  - match: [{uri: {regex: "/ratings/(unclosed"}}]
    route: [{destination: {host: ratings}}]
`;
