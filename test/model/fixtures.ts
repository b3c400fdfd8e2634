// Small builders for the objects tests feed the model, so each test states only what it varies.
import { stringify } from 'yaml';

export type Raw = Record<string, unknown>;

export function yamlOf(...objects: Raw[]): string {
  return objects.map((o) => stringify(o)).join('---\n');
}

export function service(name: string, namespace = 'default', ports: Raw[] = [{ name: 'http', port: 9080, targetPort: 9080 }]): Raw {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { selector: { app: name }, ports } };
}

export function pod(name: string, ip: string, labels: Record<string, string>, namespace = 'default'): Raw {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels },
    spec: { containers: [{ name: 'app', ports: [{ name: 'http', containerPort: 9080 }] }] },
    status: { podIP: ip },
  };
}

export function destinationRule(name: string, host: string, subsets: string[], extra: Raw = {}, namespace = 'default'): Raw {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: { name, namespace },
    spec: { host, subsets: subsets.map((s) => ({ name: s, labels: { version: s } })), ...extra },
  };
}

/** A VirtualService for `host` sending `weights` (subset -> weight) of its traffic to each subset. */
export function virtualService(name: string, host: string, weights: Record<string, number | undefined>, http: Raw = {}, namespace = 'default'): Raw {
  const route = Object.entries(weights).map(([subset, weight]) => ({
    destination: { host, subset },
    ...(weight === undefined ? {} : { weight }),
  }));
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name, namespace },
    spec: { hosts: [host], http: [{ route, ...http }] },
  };
}

/** A working set: a service, its two subsets, and a VirtualService splitting 80/20 between them. */
export function reviews(): Raw[] {
  return [
    service('reviews'),
    destinationRule('reviews', 'reviews', ['v1', 'v2']),
    virtualService('reviews', 'reviews', { v1: 80, v2: 20 }),
  ];
}

/** The inputs `mast` must reject, each with the one finding it must produce. */
export const BAD_INPUTS: { name: string; text: string; expect: { code: string; ref?: string; field?: string } }[] = [
  {
    name: 'malformed YAML',
    text: 'apiVersion: v1\nkind: Service\nmetadata:\n  name: [broken\n',
    expect: { code: 'MAST1001' },
  },
  {
    name: 'unknown kind',
    text: yamlOf({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' } }),
    expect: { code: 'MAST1003' },
  },
  {
    name: 'invalid regex',
    text: yamlOf(virtualService('ratings', 'reviews', { v1: undefined }, { match: [{ uri: { regex: '^/(?!admin)' } }] })),
    expect: { code: 'MAST2004', ref: 'VirtualService/default/ratings', field: 'spec.http[0].match[0].uri.regex' },
  },
  {
    name: 'several destinations all weighing 0',
    text: yamlOf(virtualService('details', 'reviews', { v1: 0, v2: 0 })),
    expect: { code: 'MAST2001', ref: 'VirtualService/default/details', field: 'spec.http[0].route' },
  },
];
