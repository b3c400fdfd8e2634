// Builders for the validation tests: one VirtualService, DestinationRule or Gateway in, the
// findings Mast's parseObject reports on it out, as [code, field].
import { parseObject } from '../../src/model/parse/object';

export type Raw = Record<string, unknown>;
export type Finding = [code: string, field: string | undefined];

export function findings(kind: string, spec: Raw, metadata: Raw = {}): Finding[] {
  const raw = { apiVersion: 'networking.istio.io/v1', kind, metadata: { name: 'o', namespace: 'default', ...metadata }, spec };
  return parseObject(raw, { file: 'test.yaml' }, { domain: 'cluster.local' }).diagnostics.map((d) => [d.code, d.field]);
}

export const route = [{ destination: { host: 'reviews' } }];
/** A VirtualService for `reviews` whose one http rule has `rule` besides its route. */
export const vs = (rule: Raw, extra: Raw = {}): Finding[] => findings('VirtualService', { hosts: ['reviews'], http: [{ route, ...rule }], ...extra });
export const dr = (spec: Raw): Finding[] => findings('DestinationRule', { host: 'reviews', ...spec });
export const server = (s: Raw): Raw => ({ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'], ...s });
export const gw = (servers: Raw[], metadata: Raw = {}): Finding[] => findings('Gateway', { selector: { istio: 'ingressgateway' }, servers }, metadata);
/** A field of the first http rule. */
export const at = (field: string): string => `spec.http[0].${field}`;
