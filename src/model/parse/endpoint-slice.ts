import type { EndpointSlice, EndpointSlicePort, SliceEndpoint } from '../types';
import type { ConvertContext } from './object';
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
    addressType: readAddressType(read, raw),
    ports: read.records(raw, 'ports', '').flatMap(({ item, path }) => readPort(read, item, path) ?? []),
    endpoints: read.records(raw, 'endpoints', '').map(({ item, path }) => readEndpoint(read, item, path, base.meta.namespace)),
  };
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
