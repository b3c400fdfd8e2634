// A Gateway's meaning, checked as Istio's ValidateGateway, validateServer, validateServerPort and
// validateServerBind (pkg/config/validation/validation.go) check it. TLS settings are in
// server-tls.ts.
import type { FieldReader } from '../parse/read';
import type { GatewaySpec, Meta } from '../types';
import { checkAnnotations } from './metadata';
import { gatewayServerHostProblems, isDns1123Label, isIpAddress, portProblem } from './names';
import { checkAutoPassthrough } from './auto-passthrough';
import { checkServerTls, type ServerTls } from './server-tls';

/** Istio's annotation for Gateways it converted from Gateway API ones, whose checks it relaxes. */
const GATEWAY_SEMANTICS = 'internal.istio.io/gateway-semantics';
const UNIX_PREFIX = 'unix://';

/** protocol.Parse: the protocols a server port may name, in any case. */
const HTTP_PROTOCOLS = new Set(['http', 'http2', 'http_proxy', 'grpc', 'grpc-web']);
const TLS_PROTOCOLS = new Set(['https', 'tls']);
const OTHER_PROTOCOLS = new Set(['tcp', 'udp', 'mongo', 'redis', 'mysql']);

interface Port {
  number?: number;
  protocol?: string;
  name?: string;
  targetPort?: number;
}

interface Server {
  port?: Port;
  bind?: string;
  hosts?: string[];
  tls?: ServerTls;
  name?: string;
}

export function validateGateway(typed: GatewaySpec, read: FieldReader, meta: Meta): void {
  const servers = (typed.servers ?? []) as (Server | null)[];
  const gatewaySemantics = meta.annotations[GATEWAY_SEMANTICS] === 'gateway';
  checkAnnotations(read, meta);
  if (!isDns1123Label(meta.name) && !gatewaySemantics) read.report('MAST2026', 'metadata.name', `invalid gateway name: ${JSON.stringify(meta.name)} (a Gateway's name must be a DNS-1123 label)`);
  if (servers.length === 0) read.report('MAST2033', 'spec.servers', 'gateway must have at least one server');
  const portNames = new Set<string>();
  servers.forEach((server, i) => {
    const at = `spec.servers[${i}]`;
    if (!server) return read.report('MAST2033', at, 'server may not be nil');
    checkServer(read, server, at, gatewaySemantics);
    if (!server.port) return;
    const name = server.port.name ?? '';
    if (portNames.has(name)) read.report('MAST2033', `${at}.port.name`, `port names in servers must be unique: duplicate name ${name}`);
    portNames.add(name);
    if (!HTTP_PROTOCOLS.has((server.port.protocol ?? '').toLowerCase()) && server.tls?.httpsRedirect) {
      read.report('MAST2041', `${at}.tls.httpsRedirect`, "tls.httpsRedirect should only be used with http servers (an Istio warning: ValidateGateway)");
    }
  });
}

function checkServer(read: FieldReader, server: Server, at: string, gatewaySemantics: boolean): void {
  if (!server.hosts?.length) read.report('MAST2012', `${at}.hosts`, 'server config must contain at least one host');
  (server.hosts ?? []).forEach((host, j) => {
    for (const problem of gatewayServerHostProblems(host, gatewaySemantics)) read.report('MAST2015', `${at}.hosts[${j}]`, problem);
  });
  const portOk = checkServerPort(read, server.port, server.bind ?? '', `${at}.port`);
  checkBind(read, server, at);
  checkServerTls(read, server.tls, `${at}.tls`);
  checkAutoPassthrough(read, server, at);
  if (!portOk || !server.port) return;
  const protocol = (server.port.protocol ?? '').toLowerCase();
  if (TLS_PROTOCOLS.has(protocol) && !server.tls) read.report('MAST2033', `${at}.tls`, 'server must have TLS settings for HTTPS/TLS protocols');
  else if (TLS_PROTOCOLS.has(protocol) && !servedTlsMode(protocol, server.tls!.mode ?? 'PASSTHROUGH')) {
    // What src/translate/gateway-tls.ts terminates and listeners/tcp-gateway.ts and sni-dnat.ts pass through.
    read.report('MAST1008', `${at}.tls.mode`, `${server.tls!.mode ?? 'PASSTHROUGH'} on a ${protocol.toUpperCase()} server is not supported by Mast yet: only HTTPS servers in mode SIMPLE, MUTUAL, OPTIONAL_MUTUAL or ISTIO_MUTUAL, TLS servers in mode SIMPLE, MUTUAL or OPTIONAL_MUTUAL, and HTTPS or TLS servers in mode PASSTHROUGH or AUTO_PASSTHROUGH, are served`);
  }
  else if (!TLS_PROTOCOLS.has(protocol) && server.tls) {
    if (!HTTP_PROTOCOLS.has(protocol)) read.report('MAST2033', `${at}.tls`, 'server cannot have TLS settings for non HTTPS/TLS ports');
    else {
      // Only a redirect to HTTPS makes sense on a plain-text HTTP port.
      const mode = server.tls.mode ?? 'PASSTHROUGH';
      const passthrough = mode === 'PASSTHROUGH' || mode === 'AUTO_PASSTHROUGH';
      if (!passthrough || server.tls.caCertificates || server.tls.privateKey || server.tls.serverCertificate) {
        read.report('MAST2033', `${at}.tls`, 'server cannot have TLS settings for plain text HTTP ports');
      }
    }
  }
}

/**
 * The TLS modes Mast serves: HTTPS terminated (SIMPLE, MUTUAL, OPTIONAL_MUTUAL, ISTIO_MUTUAL), TLS
 * terminated then routed as TCP (SIMPLE, MUTUAL, OPTIONAL_MUTUAL), HTTPS or TLS passed through by SNI (PASSTHROUGH, AUTO_PASSTHROUGH).
 */
function servedTlsMode(protocol: string, mode: string): boolean {
  const terminated = protocol === 'https' ? ['SIMPLE', 'MUTUAL', 'OPTIONAL_MUTUAL', 'ISTIO_MUTUAL'] : ['SIMPLE', 'MUTUAL', 'OPTIONAL_MUTUAL'];
  return mode === 'PASSTHROUGH' || mode === 'AUTO_PASSTHROUGH' || terminated.includes(mode);
}

/** validateServerPort. Answers whether the port passed. */
function checkServerPort(read: FieldReader, port: Port | undefined, bind: string, at: string): boolean {
  if (!port) {
    read.report('MAST2033', at, 'port is required');
    return false;
  }
  let ok = true;
  const fail = (code: 'MAST2033' | 'MAST2011', field: string, message: string): void => {
    read.report(code, field, message);
    ok = false;
  };
  const protocol = (port.protocol ?? '').toLowerCase();
  if (!HTTP_PROTOCOLS.has(protocol) && !TLS_PROTOCOLS.has(protocol) && !OTHER_PROTOCOLS.has(protocol)) {
    fail('MAST2033', `${at}.protocol`, `invalid protocol ${JSON.stringify(port.protocol ?? '')}, supported protocols are HTTP, HTTP2, GRPC, GRPC-WEB, MONGO, REDIS, MYSQL, TCP`);
  }
  const number = port.number ?? 0;
  if (number > 0 || !bind.startsWith(UNIX_PREFIX)) {
    const problem = portProblem(number);
    if (problem) fail('MAST2011', `${at}.number`, problem);
  }
  if ((port.targetPort ?? 0) > 0) fail('MAST2033', `${at}.targetPort`, 'targetPort has no impact on Gateways');
  if (!port.name) fail('MAST2033', `${at}.name`, 'port name must be set');
  return ok;
}

/** validateServerBind: a unix socket path (with port 0) or an IP address. */
function checkBind(read: FieldReader, server: Server, at: string): void {
  const bind = server.bind ?? '';
  if (bind.startsWith(UNIX_PREFIX)) {
    const path = bind.slice(UNIX_PREFIX.length);
    if (path === '') read.report('MAST2033', `${at}.bind`, 'unix address must not be empty');
    else if (!path.startsWith('@') && (!path.startsWith('/') || path.endsWith('/'))) read.report('MAST2033', `${at}.bind`, `${path} is not an absolute path to a file`);
    if (server.port?.number) read.report('MAST2033', `${at}.port.number`, 'port number must be 0 for unix domain socket');
  } else if (bind !== '' && !isIpAddress(bind)) {
    read.report('MAST2033', `${at}.bind`, `${bind} is not a valid IP`);
  }
}
