// Where a VirtualService sends traffic: destinations, their weights and header operations, and
// mirrors, as Istio checks them (pkg/config/validation/validation.go: validateDestination,
// validateSubsetName, validatePortSelector, validateHTTPRouteDestinations,
// validateRouteDestinations, validateHTTPMirrors).
import type { FieldReader } from '../parse/read';
import { checkHeaderOperations, type Headers } from './headers';
import { isDns1123Label, portProblem, wildcardDomainProblem } from './names';

export interface Destination {
  host?: string;
  subset?: string;
  port?: { number?: number };
}

export interface RouteDestination {
  destination?: Destination;
  weight?: number;
  headers?: Headers;
}

/** validateSubsetName: Reports MAST2008 for an empty name, MAST2026 for one that is not a DNS-1123 label. */
export function checkSubsetName(read: FieldReader, name: string | undefined, field: string): void {
  if (!name) read.report('MAST2008', field, 'subset name cannot be empty');
  else if (!isDns1123Label(name)) read.report('MAST2026', field, `subset name is invalid: ${name} (Istio's validateSubsetName)`);
}

/** validateDestination: a host Istio can resolve (not `*`), a valid subset name, a port in range. */
export function checkDestination(read: FieldReader, destination: Destination | undefined, field: string): void {
  if (!destination) return;
  const host = destination.host ?? '';
  if (host === '') read.report('MAST2005', `${field}.host`, 'destination host is empty');
  else if (host === '*') read.report('MAST2015', `${field}.host`, `invalid destination host ${host}`);
  else {
    const problem = wildcardDomainProblem(host);
    if (problem) read.report('MAST2015', `${field}.host`, `${problem} (Istio's validateDestination)`);
  }
  if (destination.subset) checkSubsetName(read, destination.subset, `${field}.subset`);
  if (destination.port) {
    const problem = portProblem(destination.port.number ?? 0);
    if (problem) read.report('MAST2011', `${field}.port.number`, problem);
  }
}

/**
 * validateHTTPRouteDestinations / validateRouteDestinations: each destination present and valid,
 * no weight below 0, and several destinations not all weighing 0. Weights are relative: Istio does
 * not ask them to add up to 100 (10/0 sends everything to the first).
 */
export function checkRouteDestinations(read: FieldReader, routes: (RouteDestination | null)[] | undefined, field: string, opts: { http: boolean; gatewaySemantics: boolean }): void {
  let total = 0;
  (routes ?? []).forEach((route, j) => {
    const at = `${field}[${j}]`;
    if (!route) {
      read.report('MAST2005', at, 'weight may not be nil');
      return;
    }
    if (!route.destination) read.report('MAST2005', `${at}.destination`, 'destination is required');
    if (opts.http) checkHeaderOperations(read, route.headers, `${at}.headers`);
    if (!opts.gatewaySemantics) checkDestination(read, route.destination, `${at}.destination`);
    const weight = route.weight ?? 0;
    if (weight < 0) read.report('MAST2001', `${at}.weight`, `weight ${weight} < 0`);
    total = (total + weight) | 0; // Istio adds int32 weights
  });
  if ((routes?.length ?? 0) > 1 && total === 0) read.report('MAST2001', field, 'total destination weight = 0: with several destinations, at least one needs a weight above 0');
}

export interface MirrorPolicy {
  destination?: Destination;
  percentage?: { value?: number };
}

/** validateHTTPMirrors: each mirror has a valid destination and a percentage in 0..100. */
export function checkMirrors(read: FieldReader, mirrors: (MirrorPolicy | null)[] | undefined, field: string): void {
  (mirrors ?? []).forEach((mirror, k) => {
    const at = `${field}[${k}]`;
    if (!mirror) read.report('MAST2005', at, 'mirror cannot be null');
    else if (!mirror.destination) read.report('MAST2005', `${at}.destination`, 'destination is required for mirrors');
    else {
      checkDestination(read, mirror.destination, `${at}.destination`);
      const value = mirror.percentage?.value ?? 0;
      if (value > 100 || value < 0) read.report('MAST2019', `${at}.percentage.value`, `mirror percentage must be in 0..100 (it has ${value})`);
    }
  });
}
