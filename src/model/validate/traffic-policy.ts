// A DestinationRule traffic policy (top level, per subset, per port), as Istio's
// validateTrafficPolicy, validatePortTrafficPolicies, validateOutlierDetection,
// validateConnectionPool, validateTunnelSettings (pkg/config/validation/validation.go) and
// agent.ValidateTLS check it. Findings are MAST2032, MAST2006 for durations, MAST2019 for
// percentages; load balancer settings are in load-balancer.ts.
import type { FieldReader } from '../parse/read';
import { checkLoadBalancer, type LoadBalancerSettings, type OutlierDetection } from './load-balancer';
import { fqdnProblem, isIpAddress, portProblem } from './names';
import { checkIstioDuration, checkPercent, durationMillis } from './values';

interface Tcp {
  maxConnections?: number;
  connectTimeout?: string;
  maxConnectionDuration?: string;
  idleTimeout?: string;
  tcpKeepalive?: { time?: string; interval?: string };
}

interface Http {
  http1MaxPendingRequests?: number;
  http2MaxRequests?: number;
  maxRequestsPerConnection?: number;
  maxRetries?: number;
  idleTimeout?: string;
  h2UpgradePolicy?: string;
  useClientProtocol?: boolean;
  maxConcurrentStreams?: number;
  http2KeepAlive?: { interval?: string; timeout?: string };
}

interface ClientTls {
  mode?: string;
  credentialName?: string;
  clientCertificate?: string;
  privateKey?: string;
  caCertificates?: string;
  caCrl?: string;
  subjectAltNames?: string[];
  insecureSkipVerify?: boolean;
}

interface PortPolicy {
  port?: { number?: number };
  outlierDetection?: OutlierDetection;
  connectionPool?: { tcp?: Tcp; http?: Http };
  loadBalancer?: LoadBalancerSettings;
  tls?: ClientTls;
}

export interface TrafficPolicy extends PortPolicy {
  portLevelSettings?: (PortPolicy | null)[];
  tunnel?: { protocol?: string; targetHost?: string; targetPort?: number };
  proxyProtocol?: unknown;
  retryBudget?: unknown;
}

/** validateTrafficPolicy; `namespace` is the DestinationRule's, which a configmap:// credential must name. */
export function checkTrafficPolicy(read: FieldReader, policy: TrafficPolicy | undefined, field: string, namespace: string): void {
  if (!policy) return;
  const { outlierDetection, connectionPool, loadBalancer, tls, portLevelSettings, tunnel, proxyProtocol, retryBudget } = policy;
  if (!outlierDetection && !connectionPool && !loadBalancer && !tls && !portLevelSettings?.length && !tunnel && !proxyProtocol && !retryBudget) {
    return read.report('MAST2032', field, 'traffic policy must have at least one field');
  }
  if (tunnel && proxyProtocol) return read.report('MAST2032', field, 'tunnel and proxyProtocol must not be set together');
  checkPortPolicy(read, policy, field, namespace);
  (portLevelSettings ?? []).forEach((p, i) => {
    const at = `${field}.portLevelSettings[${i}]`;
    if (!p) return read.report('MAST2032', at, 'traffic policy may not be null');
    if (!p.port) read.report('MAST2032', `${at}.port`, 'portTrafficPolicy must have valid port');
    if (!p.outlierDetection && !p.connectionPool && !p.loadBalancer && !p.tls) read.report('MAST2032', at, 'port traffic policy must have at least one field');
    else checkPortPolicy(read, p, at, namespace);
  });
  if (tunnel) checkTunnel(read, tunnel, `${field}.tunnel`);
}

function checkPortPolicy(read: FieldReader, p: PortPolicy, field: string, namespace: string): void {
  checkOutlierDetection(read, p.outlierDetection, `${field}.outlierDetection`);
  checkConnectionPool(read, p.connectionPool, `${field}.connectionPool`);
  checkLoadBalancer(read, p.loadBalancer, p.outlierDetection, `${field}.loadBalancer`);
  checkClientTls(read, p.tls, `${field}.tls`, namespace);
}

function checkOutlierDetection(read: FieldReader, o: OutlierDetection | undefined, field: string): void {
  if (!o) return;
  checkIstioDuration(read, o.baseEjectionTime, `${field}.baseEjectionTime`);
  if (o.consecutiveErrors) read.report('MAST2040', `${field}.consecutiveErrors`, "outlier detection consecutive errors is deprecated, use consecutiveGatewayErrors or consecutive5xxErrors instead (Istio's validateOutlierDetection)");
  if (!o.splitExternalLocalOriginErrors && (o.consecutiveLocalOriginFailures ?? 0) > 0) {
    read.report('MAST2032', `${field}.consecutiveLocalOriginFailures`, 'outlier detection consecutive local origin failures is specified, but split external local origin errors is set to false');
  }
  checkIstioDuration(read, o.interval, `${field}.interval`);
  checkPercent(read, o.maxEjectionPercent, `${field}.maxEjectionPercent`);
  checkPercent(read, o.minHealthPercent, `${field}.minHealthPercent`);
}

function checkConnectionPool(read: FieldReader, pool: PortPolicy['connectionPool'], field: string): void {
  if (!pool) return;
  if (!pool.http && !pool.tcp) return read.report('MAST2032', field, 'connection pool must have at least one field');
  const negative = (value: number | undefined, at: string, what: string): void => {
    if ((value ?? 0) < 0) read.report('MAST2032', at, `${what} must be non-negative`);
  };
  const { http, tcp } = pool;
  if (http) {
    const at = `${field}.http`;
    negative(http.http1MaxPendingRequests, `${at}.http1MaxPendingRequests`, 'http1 max pending requests');
    negative(http.http2MaxRequests, `${at}.http2MaxRequests`, 'http2 max requests');
    negative(http.maxRequestsPerConnection, `${at}.maxRequestsPerConnection`, 'max requests per connection');
    negative(http.maxRetries, `${at}.maxRetries`, 'max retries');
    checkIstioDuration(read, http.idleTimeout, `${at}.idleTimeout`);
    if (http.h2UpgradePolicy === 'UPGRADE' && http.useClientProtocol) read.report('MAST2032', `${at}.useClientProtocol`, 'use client protocol must not be true when H2UpgradePolicy is UPGRADE');
    negative(http.maxConcurrentStreams, `${at}.maxConcurrentStreams`, 'max concurrent streams');
    const keepalive = http.http2KeepAlive;
    if (keepalive) {
      for (const key of ['interval', 'timeout'] as const) {
        if (keepalive[key] === undefined) read.report('MAST2032', `${at}.http2KeepAlive.${key}`, `http2 keepalive ${key} is required`);
        else checkIstioDuration(read, keepalive[key], `${at}.http2KeepAlive.${key}`);
      }
    }
  }
  if (tcp) {
    const at = `${field}.tcp`;
    negative(tcp.maxConnections, `${at}.maxConnections`, 'max connections');
    checkIstioDuration(read, tcp.connectTimeout, `${at}.connectTimeout`);
    checkIstioDuration(read, tcp.maxConnectionDuration, `${at}.maxConnectionDuration`);
    // 0s turns the idle timeout off, so Istio lets it through.
    if (tcp.idleTimeout !== undefined && durationMillis(tcp.idleTimeout) !== 0n) checkIstioDuration(read, tcp.idleTimeout, `${at}.idleTimeout`);
    checkIstioDuration(read, tcp.tcpKeepalive?.time, `${at}.tcpKeepalive.time`);
    checkIstioDuration(read, tcp.tcpKeepalive?.interval, `${at}.tcpKeepalive.interval`);
  }
}

/** agent.ValidateTLS: the client TLS settings toward the destination. */
function checkClientTls(read: FieldReader, tls: ClientTls | undefined, field: string, namespace: string): void {
  if (!tls) return;
  const report = (message: string): void => read.report('MAST2032', field, message);
  const configMap = tls.credentialName?.startsWith('configmap://') ? tls.credentialName.slice('configmap://'.length).split('/') : undefined;
  if (configMap) {
    if (configMap.length <= 1 || !configMap[0] || !configMap[1]) report(`invalid configmap:// credentialName: ${JSON.stringify(tls.credentialName)} must name a namespace and a name`);
    else if (configMap[0] !== namespace) report(`invalid configmap:// credentialName: namespace must match the configuration namespace ${JSON.stringify(namespace)}`);
  }
  const mode = tls.mode ?? 'DISABLE';
  if (tls.insecureSkipVerify) {
    if (mode === 'SIMPLE' && (tls.caCertificates || tls.credentialName || tls.subjectAltNames?.length)) {
      report('cannot specify CaCertificates or CredentialName or SubjectAltNames when InsecureSkipVerify is set true');
    }
    if (mode === 'MUTUAL' && (tls.caCertificates || tls.subjectAltNames?.length)) report('cannot specify CaCertificates or SubjectAltNames when InsecureSkipVerify is set true');
  }
  if ((mode === 'SIMPLE' || mode === 'MUTUAL') && tls.credentialName) {
    if (tls.clientCertificate || tls.caCertificates || tls.privateKey || tls.caCrl) report('cannot specify client certificates or CA certificate or CA CRL If credentialName is set');
    return;
  }
  if (mode === 'MUTUAL') {
    if (!tls.clientCertificate) read.report('MAST2032', `${field}.clientCertificate`, 'client certificate required for mutual tls');
    if (!tls.privateKey) read.report('MAST2032', `${field}.privateKey`, 'private key required for mutual tls');
  }
}

/** validateTunnelSettings. */
function checkTunnel(read: FieldReader, tunnel: NonNullable<TrafficPolicy['tunnel']>, field: string): void {
  if (tunnel.protocol && tunnel.protocol !== 'CONNECT' && tunnel.protocol !== 'POST') read.report('MAST2032', `${field}.protocol`, 'tunnel protocol must be "CONNECT" or "POST"');
  const host = tunnel.targetHost ?? '';
  const fqdn = fqdnProblem(host);
  if (fqdn && !isIpAddress(host)) read.report('MAST2015', `${field}.targetHost`, `tunnel target host must be valid FQDN or IP address: ${fqdn}`);
  const port = portProblem(tunnel.targetPort ?? 0);
  if (port) read.report('MAST2011', `${field}.targetPort`, `tunnel target port is invalid: ${port}`);
}
