// Istio's protocol detection ("sniffing") for ports whose protocol no name or appProtocol gives:
// Envoy's http_inspector reads a plaintext connection's first bytes and reports HTTP/1.1 or h2c
// as its application protocol, so a chain matching those takes HTTP and one without takes the
// rest as TCP. Used by the outbound per-port listeners and by virtualInbound.
// Istio: pilot/pkg/networking/core/listener_inbound.go (buildHTTPInspector), filterchain_options.go.
import type { EnvoyJson } from '../types';
import { typed } from '../core';

/** What http_inspector reports for plain-text HTTP (Istio's plaintextHTTPALPNs without HTTP/1.0). */
export const PLAINTEXT_HTTP_ALPNS = ['http/1.1', 'h2c'];

/** The listener filter that tells plain-text HTTP from other bytes by the first ones a client sends. */
export function httpInspector(): EnvoyJson {
  return { name: 'envoy.filters.listener.http_inspector', typed_config: typed('envoy.extensions.filters.listener.http_inspector.v3.HttpInspector') };
}
