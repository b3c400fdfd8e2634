import type { FieldReader } from '../parse/read';
import type { VirtualServiceSpec } from '../types';
import { checkPortNumber } from './port';
import { checkDurations, checkRegexes } from './values';

type Route = NonNullable<NonNullable<VirtualServiceSpec['http']>[number]['route']>[number];

const DURATIONS = ['spec.http[].timeout', 'spec.http[].retries.perTryTimeout', 'spec.http[].fault.delay.fixedDelay'];

// Every StringMatch Istio has, supported by Mast or not: Istio rejects a bad regex in any of them.
const REGEXES = [
  'spec.http[].match[].uri.regex',
  'spec.http[].match[].scheme.regex',
  'spec.http[].match[].method.regex',
  'spec.http[].match[].authority.regex',
  'spec.http[].match[].headers.*.regex',
  'spec.http[].match[].queryParams.*.regex',
  'spec.http[].match[].withoutHeaders.*.regex',
  'spec.http[].corsPolicy.allowOrigins[].regex',
];

export function validateVirtualService(spec: VirtualServiceSpec, read: FieldReader): void {
  if (!spec.hosts?.length) read.report('MAST2002', 'spec.hosts', 'hosts must name at least one host');
  (spec.http ?? []).forEach((rule, i) => {
    const at = `spec.http[${i}]`;
    if (!rule.route?.length && !rule.redirect && !rule.directResponse) {
      read.report('MAST2003', at, 'http rule needs a route, a redirect or a directResponse');
    }
    checkWeights(rule.route ?? [], `${at}.route`, read);
    rule.route?.forEach((route, j) => {
      if (!route.destination?.host) read.report('MAST2005', `${at}.route[${j}].destination.host`, 'destination host is empty');
      checkPortNumber(read, route.destination?.port?.number, `${at}.route[${j}].destination.port.number`);
    });
    if (rule.mirror && !rule.mirror.host) read.report('MAST2005', `${at}.mirror.host`, 'mirror host is empty');
    rule.mirrors?.forEach((mirror, k) => {
      if (!mirror.destination?.host) read.report('MAST2005', `${at}.mirrors[${k}].destination.host`, 'mirror host is empty');
    });
  });
  checkDurations({ spec }, DURATIONS, read);
  checkRegexes({ spec }, REGEXES, read);
}

/** Weights split traffic, so once any is given they must account for all of it. */
function checkWeights(routes: Route[], field: string, read: FieldReader): void {
  if (routes.length < 2 || routes.every((r) => r.weight === undefined)) return;
  const total = routes.reduce((sum, r) => sum + (r.weight ?? 0), 0);
  if (total !== 100) read.report('MAST2001', field, `route weights add up to ${total}, not 100`);
}
