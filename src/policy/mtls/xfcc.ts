// What a sidecar tells its app about the peer of a mutual TLS connection: the
// `x-forwarded-client-cert` header (Envoy's HttpConnectionManager forward_client_cert_details).

/**
 * The inbound connection manager's XFCC settings: SANITIZE_SET, so the app sees exactly the peer
 * sidecar's certificate (`By=` its own SPIFFE ID, `URI=` the client's, `Subject=`, `DNS=`), and
 * never a header a caller made up (on plaintext connections the header is removed). Istio's
 * gateways default to SANITIZE_SET; its sidecars to APPEND_FORWARD, which behind a Mast or Istio
 * client sidecar (whose outbound side strips the app's header) gives the app the same one entry.
 * The details are Istio's defaults (listener_inbound.go buildSidecarInboundHTTPOpts: subject,
 * URI and DNS, no PEM).
 */
export function inboundClientCertDetails(): { forward_client_cert_details: string; set_current_client_cert_details: { subject: boolean; uri: boolean; dns: boolean } } {
  return { forward_client_cert_details: 'SANITIZE_SET', set_current_client_cert_details: { subject: true, uri: true, dns: true } };
}
