// One http rule of a VirtualService, as Istio's validateHTTPRoute and validateHTTPRouteConflict
// (pkg/config/validation/virtualservice.go) check it.
import type { FieldReader } from '../parse/read';
import { checkCors, type CorsPolicy } from './cors';
import { checkDestination, checkMirrors, checkRouteDestinations, type Destination, type MirrorPolicy, type RouteDestination } from './destination';
import { checkFault, type HttpFaultInjection } from './fault';
import { checkHeaderOperations, type Headers } from './headers';
import { checkAuthorityRewrite, checkDirectResponse, checkRedirect, checkRewrite, type HttpDirectResponse, type HttpRedirect, type HttpRewrite } from './http-actions';
import { checkHttpMatches, type HttpMatchRequest } from './http-match';
import { checkRetries, type HttpRetry } from './retries';
import { checkIstioDuration } from './values';

export interface HttpRoute {
  name?: string;
  match?: (HttpMatchRequest | null)[];
  route?: (RouteDestination | null)[];
  redirect?: HttpRedirect;
  directResponse?: HttpDirectResponse;
  delegate?: { name?: string; namespace?: string };
  rewrite?: HttpRewrite;
  timeout?: string;
  retries?: HttpRetry;
  fault?: HttpFaultInjection;
  mirror?: Destination;
  mirrors?: (MirrorPolicy | null)[];
  mirrorPercent?: number;
  mirrorPercentage?: { value?: number };
  corsPolicy?: CorsPolicy;
  headers?: Headers;
}

export interface HttpRouteContext {
  /** The VirtualService has no hosts: Istio reads it as a delegate that root VirtualServices hand rules to. */
  delegate: boolean;
  gatewaySemantics: boolean;
}

export function checkHttpRoute(read: FieldReader, http: HttpRoute, at: string, ctx: HttpRouteContext): void {
  checkConflicts(read, http, at, ctx);
  checkHttpMatches(read, http.match, at);
  checkHeaderOperations(read, http.headers, `${at}.headers`);
  checkCors(read, http.corsPolicy, `${at}.corsPolicy`);
  checkFault(read, http.fault, `${at}.fault`);
  if (http.mirrorPercent !== undefined) {
    if (http.mirrorPercent > 100) read.report('MAST2019', `${at}.mirrorPercent`, `mirror_percent must have a max value of 100 (it has ${http.mirrorPercent})`);
    read.report('MAST2040', `${at}.mirrorPercent`, 'using deprecated setting "mirrorPercent", use "mirrorPercentage" instead (Istio\'s validateHTTPRoute)');
  }
  const mirrorPercentage = http.mirrorPercentage?.value;
  if (mirrorPercentage !== undefined && (mirrorPercentage > 100 || mirrorPercentage < 0)) {
    read.report('MAST2019', `${at}.mirrorPercentage.value`, `mirror_percentage must be in 0..100 (it has ${mirrorPercentage})`);
  }
  checkDestination(read, http.mirror, `${at}.mirror`);
  checkMirrors(read, http.mirrors, `${at}.mirrors`);
  checkRedirect(read, http.redirect, http.match, `${at}.redirect`);
  checkDirectResponse(read, http.directResponse, `${at}.directResponse`);
  checkRetries(read, http.retries, `${at}.retries`);
  checkRewrite(read, http.rewrite, `${at}.rewrite`);
  checkAuthorityRewrite(read, http.rewrite, http.headers, at);
  checkRouteDestinations(read, http.route, `${at}.route`, { http: true, gatewaySemantics: ctx.gatewaySemantics });
  checkIstioDuration(read, http.timeout, `${at}.timeout`);
}

/**
 * validateHTTPRouteConflict: a rule routes, redirects or answers directly, one of them; a rule
 * that delegates (in a VirtualService with hosts) does nothing else; a delegate's rules do not
 * delegate again.
 */
function checkConflicts(read: FieldReader, http: HttpRoute, at: string, ctx: HttpRouteContext): void {
  const routes = http.route?.length ?? 0;
  const conflict = (message: string): void => read.report('MAST2021', at, message);
  if (http.delegate && !ctx.delegate) {
    if (http.redirect) read.report('MAST2036', `${at}.redirect`, `root HTTP route ${http.name ?? ''} must not specify redirect`);
    if (http.route) read.report('MAST2036', `${at}.route`, `root HTTP route ${http.name ?? ''} must not specify route`);
    return;
  }
  if (ctx.delegate && http.delegate) read.report('MAST2036', `${at}.delegate`, 'delegate HTTP route cannot contain delegate');
  if (http.redirect) {
    if (routes > 0) conflict('HTTP route cannot contain both route and redirect');
    if (http.fault) conflict('HTTP route cannot contain both fault and redirect');
    if (http.rewrite) conflict('HTTP route rule cannot contain both rewrite and redirect');
    if (http.directResponse) conflict('HTTP route rule cannot contain both direct_response and redirect');
  } else if (http.directResponse) {
    if (routes > 0) conflict('HTTP route cannot contain both route and direct_response');
    if (http.fault) conflict('HTTP route cannot contain both fault and direct_response');
    if (http.rewrite) conflict('HTTP route rule cannot contain both rewrite and direct_response');
  } else if (routes === 0) {
    read.report('MAST2003', at, 'http rule needs a route, a redirect or a directResponse');
  }
  if (http.mirror && (http.mirrors?.length ?? 0) > 0) conflict('HTTP route cannot contain both mirror and mirrors');
}
