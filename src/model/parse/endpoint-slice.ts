import { isIPv4, isIPv6 } from 'node:net';
import type { EndpointSlice, EndpointSlicePort, SliceEndpoint } from '../types';
import type { ConvertContext } from './object';
import { checkPortNumber } from '../validate/port';
import { readProtocol } from './protocol';
import { childPath, type FieldReader, type Json } from './read';

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
const ADDRESS_TYPES = ['IPv4', 'IPv6', 'FQDN'] as const;

export function toEndpointSlice(raw: Json, { read, base }: ConvertContext): EndpointSlice {
  const serviceName = base.meta.labels[SERVICE_NAME_LABEL] ?? '';
  if (!serviceName) read.report('MAST2014', 'metadata.labels', `label ${SERVICE_NAME_LABEL} is missing, so no service owns these endpoints`);
  return {
    kind: 'EndpointSlice',
    ...base,
    serviceName,
    ...readContents(read, raw, base.meta.namespace),
  };
}

function readContents(read: FieldReader, raw: Json, namespace: string): Pick<EndpointSlice, 'addressType' | 'ports' | 'endpoints'> {
  const addressType = readAddressType(read, raw);
  const endpoints = read.records(raw, 'endpoints', '').map(({ item, path }) => readEndpoint(read, item, path, namespace));
  checkAddresses(read, addressType, endpoints);
  return { addressType, ports: read.records(raw, 'ports', '').flatMap(({ item, path }) => readPort(read, item, path) ?? []), endpoints };
}

/**
 * Each address must be an IP of the slice's family, as the API server requires (Kubernetes'
 * ValidateEndpointSlice); the API server also refuses loopback and link-local ones, which file
 * mode needs on a laptop, so those are allowed here. One bad address refuses the whole slice, as
 * Kubernetes would; its last good version keeps serving. FQDN slices carry names, which Istio
 * does not serve as endpoints either (Snapshot.endpoints skips them).
 */
function checkAddresses(read: FieldReader, addressType: EndpointSlice['addressType'], endpoints: SliceEndpoint[]): void {
  const valid = addressType === 'IPv4' ? isIPv4 : addressType === 'IPv6' ? isIPv6 : undefined;
  if (!valid) return;
  endpoints.forEach((endpoint, i) =>
    endpoint.addresses.forEach((address, j) => {
      if (!valid(address)) read.report('MAST2101', `endpoints[${i}].addresses[${j}]`, `${JSON.stringify(address)} is not an ${addressType} address`);
    }),
  );
}

function readAddressType(read: FieldReader, raw: Json): EndpointSlice['addressType'] {
  const value = read.string(raw, 'addressType', '') ?? 'IPv4';
  const known = ADDRESS_TYPES.find((t) => t === value);
  if (!known) read.report('MAST1006', 'addressType', `must be one of ${ADDRESS_TYPES.join(', ')}, not ${value}`);
  return known ?? 'IPv4';
}

function readPort(read: FieldReader, item: Json, path: string): EndpointSlicePort | undefined {
  const port = read.int(item, 'port', path);
  if (port === undefined) return undefined;
  checkPortNumber(read, port, childPath(path, 'port')); // as Kubernetes' ValidateEndpointSlice does
  const out: EndpointSlicePort = { port, protocol: readProtocol(read, item, path) };
  const name = read.string(item, 'name', path);
  const appProtocol = read.string(item, 'appProtocol', path);
  if (name) out.name = name;
  if (appProtocol !== undefined) out.appProtocol = appProtocol;
  return out;
}

function readEndpoint(read: FieldReader, item: Json, path: string, sliceNamespace: string): SliceEndpoint {
  const addresses = read.array(item, 'addresses', path).filter((a, i): a is string => {
    if (typeof a !== 'string') read.report('MAST1006', childPath(childPath(path, 'addresses'), i), 'must be a string');
    return typeof a === 'string';
  });
  const conditions = read.record(item, 'conditions', path) ?? {};
  const endpoint: SliceEndpoint = { addresses, ready: read.bool(conditions, 'ready', childPath(path, 'conditions')) ?? true };
  const target = read.record(item, 'targetRef', path);
  const targetPath = childPath(path, 'targetRef');
  if (target && target.kind === 'Pod') {
    const name = read.string(target, 'name', targetPath);
    if (name) endpoint.podRef = { namespace: read.string(target, 'namespace', targetPath) || sliceNamespace, name };
  }
  const nodeName = read.string(item, 'nodeName', path);
  const zone = read.string(item, 'zone', path);
  if (nodeName !== undefined) endpoint.nodeName = nodeName;
  if (zone !== undefined) endpoint.zone = zone;
  return endpoint;
}
