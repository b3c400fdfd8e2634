// A VirtualService's meaning, checked as Istio's ValidateVirtualService
// (pkg/config/validation/validation.go) checks it, so Mast admits what Istio admits and refuses
// what Istio refuses. Each finding's message or code names the Istio check it mirrors.
import type { FieldReader } from '../parse/read';
import type { Meta, VirtualServiceSpec } from '../types';
import { checkGatewayNames } from './gateway-names';
import { isJwtClaimRoute } from './headers';
import { hostsOverlap } from './host-match';
import { checkHttpRoute, type HttpRoute } from './http-route';
import { checkTcpRoute, checkTlsRoute, type L4Route } from './l4-routes';
import { checkAnnotations, checkExportTo } from './metadata';
import { gatewayBoundDomainProblem, isIpAddress, wildcardDomainProblem } from './names';
import { checkUnreachableRules } from './unreachable';
import { checkDurations } from './values';

// Every Duration field: Istio refuses a value that does not parse as one, wherever it is.
const DURATIONS = [
  'spec.http[].timeout',
  'spec.http[].retries.perTryTimeout',
  'spec.http[].retries.backoff',
  'spec.http[].fault.delay.fixedDelay',
  'spec.http[].fault.delay.exponentialDelay',
  'spec.http[].corsPolicy.maxAge',
];

/** Istio's annotation for VirtualServices it converted from Gateway API routes, whose checks it relaxes. */
const ROUTE_SEMANTICS = 'internal.istio.io/route-semantics';

interface Spec {
  hosts?: string[];
  gateways?: string[];
  http?: (HttpRoute | null)[];
  tls?: (L4Route | null)[];
  tcp?: (L4Route | null)[];
  exportTo?: string[];
}

export function validateVirtualService(typed: VirtualServiceSpec, read: FieldReader, meta: Meta): void {
  const spec = typed as Spec;
  const hosts = spec.hosts ?? [];
  const gateways = spec.gateways ?? [];
  const gatewaySemantics = meta.annotations[ROUTE_SEMANTICS] === 'gateway';
  checkAnnotations(read, meta);
  checkDurations({ spec }, DURATIONS, read);

  const delegate = hosts.length === 0;
  // A delegate (no hosts) is valid; whether a root uses it is checked across objects (validate/delegates.ts).
  if (delegate) {
    if (gateways.length) read.report('MAST2036', 'spec.gateways', 'delegate virtual service must have no gateways specified');
    if (spec.tls?.length) read.report('MAST2036', 'spec.tls', 'delegate virtual service must have no tls route specified');
    if (spec.tcp?.length) read.report('MAST2036', 'spec.tcp', 'delegate virtual service must have no tcp route specified');
  }

  // Istio's isGateway(): bound to gateways and not also to the mesh.
  const appliesToGateway = gateways.length > 0 && !gateways.includes('mesh');
  if (gateways.length) checkGatewayNames(read, gateways, 'spec.gateways', { warn: true, gatewaySemantics });
  if (!appliesToGateway) checkJwtClaimRoutes(read, spec.http, gateways);
  if (checkHosts(read, hosts, spec, appliesToGateway)) checkDuplicateHosts(read, hosts);

  if (!spec.http?.length && !spec.tcp?.length && !spec.tls?.length) read.report('MAST2029', 'spec', 'http, tcp or tls must be provided in virtual service');
  (spec.http ?? []).forEach((http, i) => {
    if (http) checkHttpRoute(read, http, `spec.http[${i}]`, { delegate, gatewaySemantics });
    else read.report('MAST2029', `spec.http[${i}]`, 'http route may not be null');
  });
  const l4 = { hosts, gateways, gatewaySemantics };
  (spec.tls ?? []).forEach((tls, i) => checkTlsRoute(read, tls, `spec.tls[${i}]`, l4));
  (spec.tcp ?? []).forEach((tcp, i) => checkTcpRoute(read, tcp, `spec.tcp[${i}]`, l4));
  checkExportTo(read, spec.exportTo, meta.namespace, 'spec.exportTo');

  checkUnreachableRules(read, spec.http, 'spec.http', true);
  checkUnreachableRules(read, spec.tcp, 'spec.tcp', false);
  checkUnreachableRules(read, spec.tls, 'spec.tls', false);
}

/** Routing on JWT claims (`@request.auth.claims.*` headers) works only at gateways (MAST2037). */
function checkJwtClaimRoutes(read: FieldReader, rules: Spec['http'], gateways: string[]): void {
  (rules ?? []).forEach((rule, i) =>
    (rule?.match ?? []).forEach((match, m) => {
      for (const key of ['headers', 'withoutHeaders'] as const) {
        for (const name of Object.keys(match?.[key] ?? {}).filter(isJwtClaimRoute)) {
          read.report('MAST2037', `spec.http[${i}].match[${m}].${key}`, `JWT claim based routing (key: ${name}) is only supported for gateway, found no gateways: [${gateways.join(' ')}]`);
        }
      }
    }),
  );
}

/** Each host a (wildcard) DNS name or an IP; `*` only for gateways. Answers whether all were valid. */
function checkHosts(read: FieldReader, hosts: string[], spec: Spec, appliesToGateway: boolean): boolean {
  const sni = (spec.tls ?? []).some((t) => (t?.match ?? []).some((m) => (m?.sniHosts?.length ?? 0) > 0));
  let valid = true;
  hosts.forEach((host, i) => {
    const problem = appliesToGateway ? gatewayBoundDomainProblem(sni, host) : wildcardDomainProblem(host);
    if (problem && !isIpAddress(host)) {
      read.report('MAST2015', `spec.hosts[${i}]`, `${problem} (Istio's ValidateVirtualService)`);
      valid = false;
    } else if (!problem && !appliesToGateway && host === '*') {
      read.report('MAST2015', `spec.hosts[${i}]`, 'wildcard host * is not allowed for virtual services bound to the mesh gateway');
      valid = false;
    }
  });
  return valid;
}

/** No two hosts that name a common host, `*.foo.com` and `*.com` included (MAST2030). */
function checkDuplicateHosts(read: FieldReader, hosts: string[]): void {
  hosts.forEach((a, i) =>
    hosts.slice(i + 1).forEach((b, k) => {
      if (hostsOverlap(a, b)) read.report('MAST2030', `spec.hosts[${i + 1 + k}]`, `duplicate hosts in virtual service: ${a} & ${b}`);
    }),
  );
}
