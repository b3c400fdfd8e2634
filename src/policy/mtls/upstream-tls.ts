// The client side of TLS: the UpstreamTlsContext a cluster originates with, for DestinationRule
// `tls` modes ISTIO_MUTUAL, SIMPLE and MUTUAL, as Istio's cluster builder makes it
// (pilot/pkg/networking/core/cluster_tls.go: buildUpstreamClusterTLSContext, constructUpstreamTLS,
// setAutoSniAndAutoSanValidation, defaultUpstreamCommonTLSContext).
import { ROOT_CA_SECRET, WORKLOAD_CERT_SECRET, sdsSecretConfig, typed } from '../../translate/core';
import type { ClusterPolicy } from '../../translate/traffic-policy/effective';
import { CREDENTIAL_CA_SUFFIX, CREDENTIAL_SECRET_PREFIX } from '../../translate/gateway-tls';
import type { EnvoyJson } from '../../translate/types';

/** A DestinationRule's `tls` (ClientTLSSettings). */
export type ClientTls = NonNullable<ClusterPolicy['tls']>;

/**
 * Where a proxy finds the operating system's trusted roots when a DestinationRule originates TLS
 * without `caCertificates`. Istio's agent, on the proxy's host, takes the first of a list of
 * known files (pkg/security/security.go GetOSRootFilePath); Mast translates away from the proxy
 * and names the first of that list: Debian's and Ubuntu's, the base of Istio's proxy image.
 */
export const SYSTEM_ROOT_CERTS = '/etc/ssl/certs/ca-certificates.crt';

/** A client sends TLS 1.2 or 1.3 (Envoy's client default stops at 1.2). */
const TLS_PARAMS = { tls_minimum_protocol_version: 'TLSv1_2', tls_maximum_protocol_version: 'TLSv1_3' };

/** `match_subject_alt_names`: any SAN (URI, DNS, ...) equal to one of `names`, as Istio writes it. */
function sanMatchers(names: readonly string[] | undefined): EnvoyJson {
  return names?.length ? { match_subject_alt_names: names.map((exact) => ({ exact })) } : {};
}

function upstreamTlsContext(common: EnvoyJson, sni: string | undefined): EnvoyJson {
  return typed('envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext', { common_tls_context: common, ...(sni ? { sni } : {}) });
}

/** A `transport_socket` originating TLS with `context` (an UpstreamTlsContext). */
export function tlsSocket(context: EnvoyJson): EnvoyJson {
  return { name: 'envoy.transport_sockets.tls', typed_config: context };
}

/**
 * ISTIO_MUTUAL: the workload certificate (SDS `default`), the server verified against the trust
 * bundle (SDS `ROOTCA`) and, when there are any, against `subjectAltNames` (the SPIFFE IDs of the
 * destination's service accounts, unless the DestinationRule names its own). ALPN `istio` tells
 * a PERMISSIVE server that this is mesh traffic (`istio`, `h2` for an HTTP/2 cluster). Istio adds
 * `istio-peer-exchange`, for a metadata exchange filter stock Envoy does not have.
 */
export function istioMutualContext(subjectAltNames: readonly string[], sni: string, http2: boolean): EnvoyJson {
  return upstreamTlsContext({
    tls_params: TLS_PARAMS,
    alpn_protocols: http2 ? ['istio', 'h2'] : ['istio'],
    tls_certificate_sds_secret_configs: [sdsSecretConfig(WORKLOAD_CERT_SECRET)],
    combined_validation_context: {
      default_validation_context: sanMatchers(subjectAltNames),
      validation_context_sds_secret_config: sdsSecretConfig(ROOT_CA_SECRET),
    },
  }, sni);
}

/**
 * SIMPLE and MUTUAL with certificates from files on the proxy's host: the client certificate and
 * key (MUTUAL), the server verified against `caCertificates` (the system roots when not given)
 * and `subjectAltNames`, with `caCrl`, unless `insecureSkipVerify`. Envoy reads the files itself
 * when it loads the cluster: Istio's agent would serve them over SDS, and Mast has no agent on
 * the proxy's host. A `credentialName` takes credentialTlsContext instead.
 */
export function fileTlsContext(tls: ClientTls, http2: boolean): EnvoyJson {
  const mutual = tls.mode === 'MUTUAL' && tls.clientCertificate && tls.privateKey;
  const validation: EnvoyJson = tls.insecureSkipVerify
    ? {}
    : {
        trusted_ca: { filename: tls.caCertificates || SYSTEM_ROOT_CERTS },
        ...sanMatchers(tls.subjectAltNames),
        ...(tls.caCrl ? { crl: { filename: tls.caCrl } } : {}),
      };
  return upstreamTlsContext({
    tls_params: TLS_PARAMS,
    ...(http2 ? { alpn_protocols: ['h2'] } : {}),
    ...(mutual ? { tls_certificates: [{ certificate_chain: { filename: tls.clientCertificate }, private_key: { filename: tls.privateKey } }] } : {}),
    validation_context: validation,
  }, tls.sni);
}

/**
 * SIMPLE and MUTUAL with a `credentialName` (Istio's ApplyCustomSDSToClientCommonTLSContext): the
 * client certificate and key of the credential over SDS as `kubernetes://NAME` (MUTUAL), and the
 * server verified against its CA certificate, `kubernetes://NAME-cacert`, and `subjectAltNames`,
 * unless `insecureSkipVerify` (then no validation at all). src/xds/credentials.ts serves both
 * from the Secret (or files) in the proxy's own namespace, the key to gateways and to the sidecars a rule selecting them entitles (sidecar-credentials.ts).
 */
export function credentialTlsContext(tls: ClientTls, http2: boolean): EnvoyJson {
  const name = `${CREDENTIAL_SECRET_PREFIX}${tls.credentialName}`;
  return upstreamTlsContext({
    tls_params: TLS_PARAMS,
    ...(http2 ? { alpn_protocols: ['h2'] } : {}),
    ...(tls.mode === 'MUTUAL' ? { tls_certificate_sds_secret_configs: [sdsSecretConfig(name)] } : {}),
    ...(tls.insecureSkipVerify
      ? {}
      : { combined_validation_context: { default_validation_context: sanMatchers(tls.subjectAltNames), validation_context_sds_secret_config: sdsSecretConfig(`${name}${CREDENTIAL_CA_SUFFIX}`) } }),
  }, tls.sni);
}

/**
 * setAutoSniAndAutoSanValidation for SIMPLE and MUTUAL: without an `sni`, the SNI is the request's
 * host; without an `sni` or `subjectAltNames` (and unless `insecureSkipVerify`), the server's
 * certificate must also name that host. Envoy's `upstream_http_protocol_options`, so HTTP only.
 */
export function autoSniOptions(tls: ClientTls): EnvoyJson | undefined {
  if (tls.sni) return undefined;
  const sanToo = !tls.subjectAltNames?.length && !tls.insecureSkipVerify;
  return { auto_sni: true, ...(sanToo ? { auto_san_validation: true } : {}) };
}
