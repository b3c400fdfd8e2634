// A projected token on Envoy's own gRPC client: the token file reaches the xds cluster over
// file-based SDS, and two upstream HTTP filters put it on every stream as
// `authorization: Bearer TOKEN` (what Mast reads: src/xds/authn.ts bearerOf). Envoy's Google gRPC
// client reads a token file for each stream too (file_based_metadata), but takes Mast's roots as a
// PEM read once; this way the xds cluster keeps Envoy's TLS, whose roots come over file-based SDS
// and are re-read when replaced (bootstrap.ts xdsValidation), so a proxy follows a root rotation
// of Mast's own certificate without a restart.
import type { EnvoyJson } from '../translate/types';

/** The name of the generic Secret in a token SDS file: the bootstrap's SdsSecretConfig asks for it. */
export const XDS_TOKEN_SECRET = 'xds-token';

/**
 * The header credential_injector writes the bare token into, for header_mutation to turn into
 * `authorization: Bearer ...` and then remove: Envoy's generic credential writes a secret's bytes
 * as the whole header value, and a projected token file holds the bare JWT.
 */
export const TOKEN_HEADER = 'x-mast-token';

const SECRET_TYPE = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret';

/**
 * The text of a file-based SDS resource (Envoy's path_config_source format: a DiscoveryResponse's
 * `resources`, JSON, which YAML reads) holding the generic Secret `xds-token` whose bytes are the
 * file `tokenFile` (an absolute path). Envoy watches that file's directory for files moved into it
 * (SdsApi::onConfigUpdate: a rename, or kubelet's `..data` swap of a projected volume) and reads the
 * token again (source/common/secret/sds_api.cc, GenericSecretSdsApi::getDataSourceFilenames). A
 * generic secret given statically in the bootstrap is read once.
 */
export function tokenSdsResource(tokenFile: string): string {
  const secret = { '@type': SECRET_TYPE, name: XDS_TOKEN_SECRET, generic_secret: { secret: { filename: tokenFile } } };
  return `${JSON.stringify({ resources: [secret] }, null, 2)}\n`;
}

/**
 * The xds cluster's upstream HTTP filters (HttpProtocolOptions.http_filters, run for every stream
 * Envoy's gRPC client opens on the cluster, after host selection) that send the token in the SDS
 * file `sdsFile` (see tokenSdsResource):
 * - credential_injector with the generic credential (envoy/extensions/filters/http/
 *   credential_injector/v3, envoy/extensions/http/injected_credentials/generic/v3) writes the
 *   current token into `x-mast-token`; without a token the stream fails locally (401), as no
 *   token would be refused by Mast anyway;
 * - header_mutation (envoy/extensions/filters/http/header_mutation/v3) sets
 *   `authorization: Bearer %REQ(x-mast-token)%` (a substitution format string) and removes
 *   `x-mast-token`, so the token leaves the proxy once, where Mast looks for it;
 * - upstream_codec, which must end an upstream filter chain.
 */
export function tokenFilters(sdsFile: string): EnvoyJson[] {
  return [
    {
      name: 'envoy.filters.http.credential_injector',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.filters.http.credential_injector.v3.CredentialInjector',
        credential: {
          name: 'envoy.http.injected_credentials.generic',
          typed_config: {
            '@type': 'type.googleapis.com/envoy.extensions.http.injected_credentials.generic.v3.Generic',
            credential: { name: XDS_TOKEN_SECRET, sds_config: { path_config_source: { path: sdsFile }, resource_api_version: 'V3' } },
            header: TOKEN_HEADER,
          },
        },
      },
    },
    {
      name: 'envoy.filters.http.header_mutation',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.filters.http.header_mutation.v3.HeaderMutation',
        mutations: {
          request_mutations: [
            { append: { header: { key: 'authorization', value: `Bearer %REQ(${TOKEN_HEADER})%` }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' } },
            { remove: TOKEN_HEADER },
          ],
        },
      },
    },
    {
      name: 'envoy.filters.http.upstream_codec',
      typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.upstream_codec.v3.UpstreamCodec' },
    },
  ];
}
