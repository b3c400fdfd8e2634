// A VirtualService's tcp and tls routes (translated by src/translate/routes/l4-route.ts). Istio
// refuses a VirtualService whose tcp or tls routes are invalid, and so does Mast: Istio's
// validateTLSRoute, validateTLSMatch, validateSniHost, validateTCPRoute, validateTCPMatch
// (pkg/config/validation/validation.go). Findings are MAST2031 unless a more precise code fits.
import type { FieldReader } from '../parse/read';
import { checkRouteDestinations, type RouteDestination } from './destination';
import { checkGatewayNames } from './gateway-names';
import { hostSubsetOf } from './host-match';
import { gatewayBoundDomainProblem, ipSubnetProblem, isIpAddress, labelProblems, portProblem, wildcardDomainProblem } from './names';

interface L4Match {
  destinationSubnets?: string[];
  port?: number;
  sourceLabels?: Record<string, string>;
  gateways?: string[];
  sniHosts?: string[];
}

export interface L4Route {
  match?: (L4Match | null)[];
  route?: (RouteDestination | null)[];
}

export interface L4Context {
  hosts: string[];
  gateways: string[];
  gatewaySemantics: boolean;
}

function checkL4Match(read: FieldReader, match: L4Match, field: string): void {
  (match.destinationSubnets ?? []).forEach((subnet, i) => {
    const problem = ipSubnetProblem(subnet);
    if (problem) read.report('MAST2031', `${field}.destinationSubnets[${i}]`, problem);
  });
  const port = match.port ? portProblem(match.port) : undefined;
  if (port) read.report('MAST2011', `${field}.port`, port);
  for (const problem of labelProblems(match.sourceLabels)) read.report('MAST2027', `${field}.sourceLabels`, problem);
  checkGatewayNames(read, match.gateways, `${field}.gateways`, { warn: false });
}

/** validateSniHost: a (wildcard) DNS name within one of the VirtualService's hosts; an IP is only a warning. */
function checkSniHost(read: FieldReader, sni: string, field: string, ctx: L4Context): void {
  // Istio's isGateway(): any VirtualService not naming `mesh`, even one naming no gateway at all.
  const problem = !ctx.gateways.includes('mesh') ? gatewayBoundDomainProblem(true, sni) : wildcardDomainProblem(sni);
  if (problem) {
    if (isIpAddress(sni)) read.report('MAST2041', field, `using an IP address (${JSON.stringify(sni)}) goes against SNI spec and most clients do not support this (an Istio warning: validateSniHost)`);
    else read.report('MAST2015', field, problem);
    return;
  }
  if (!ctx.hosts.some((h) => hostSubsetOf(sni, h))) {
    read.report('MAST2031', field, `SNI host ${JSON.stringify(sni)} is not a compatible subset of any of the virtual service hosts: [${ctx.hosts.join(', ')}]`);
  }
}

export function checkTlsRoute(read: FieldReader, tls: L4Route | null, at: string, ctx: L4Context): void {
  if (!tls) return;
  if (!tls.match?.length) read.report('MAST2031', `${at}.match`, 'TLS route must have at least one match condition');
  (tls.match ?? []).forEach((match, m) => {
    const field = `${at}.match[${m}]`;
    if (!match) return read.report('MAST2031', field, 'TLS match may not be null');
    if (!match.sniHosts?.length) read.report('MAST2031', `${field}.sniHosts`, 'TLS match must have at least one SNI host');
    (match.sniHosts ?? []).forEach((sni, i) => checkSniHost(read, sni, `${field}.sniHosts[${i}]`, ctx));
    checkL4Match(read, match, field);
  });
  if (!tls.route?.length) read.report('MAST2031', `${at}.route`, 'TLS route is required');
  checkRouteDestinations(read, tls.route, `${at}.route`, { http: false, gatewaySemantics: ctx.gatewaySemantics });
}

export function checkTcpRoute(read: FieldReader, tcp: L4Route | null, at: string, ctx: L4Context): void {
  if (!tcp) return;
  (tcp.match ?? []).forEach((match, m) => {
    if (!match) read.report('MAST2031', `${at}.match[${m}]`, 'tcp match may not be nil');
    else checkL4Match(read, match, `${at}.match[${m}]`);
  });
  if (!tcp.route?.length) read.report('MAST2031', `${at}.route`, 'TCP route is required');
  checkRouteDestinations(read, tcp.route, `${at}.route`, { http: false, gatewaySemantics: ctx.gatewaySemantics });
}
