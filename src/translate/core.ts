// Small builders for envoy.config.core.v3 and envoy.type.v3 shapes that every resource uses.
import type { EnvoyJson } from './types';

export function socketAddress(address: string, port: number): EnvoyJson {
  return { socket_address: { address, port_value: port } };
}

/** Fetch over the same ADS stream the proxy already has, so every resource arrives in order on it. */
export function adsConfigSource(): EnvoyJson {
  return { ads: {}, resource_api_version: 'V3' };
}

/** A `google.protobuf.Any` of an Envoy message: its JSON with the type URL alongside. */
export function typed(typeName: string, body: EnvoyJson = {}): EnvoyJson {
  return { '@type': `type.googleapis.com/${typeName}`, ...body };
}

/**
 * Istio's percentages (a double, 0-100) as an exact `FractionalPercent`: per million keeps four
 * decimals, which is what Istio sends for the same input.
 */
export function fractionalPercent(percent: number): EnvoyJson {
  return { numerator: Math.round(percent * 10_000), denominator: 'MILLION' };
}

/** The secret holding a proxy's own certificate chain and key (Istio's name, served by SDS). */
export const WORKLOAD_CERT_SECRET = 'default';
/** The secret holding the trust bundle: every current root (Istio's name, served by SDS). */
export const ROOT_CA_SECRET = 'ROOTCA';

/**
 * An `SdsSecretConfig` naming a secret Envoy fetches over its ADS stream (`default`, `ROOTCA`, or
 * a gateway's `kubernetes://NAME`). `initial_fetch_timeout: 0s`, as Istio sets it
 * (pkg/model/authentication.go defaultSDSConfig) and as Mast's bootstrap does for CDS and LDS: a
 * listener or cluster waits for its secret instead of starting without one after 15 s, when every
 * TLS handshake would fail.
 */
export function sdsSecretConfig(name: string): EnvoyJson {
  return { name, sds_config: { ...adsConfigSource(), initial_fetch_timeout: '0s' } };
}
