import type { Service, ServicePort } from '../types';
import { clusterIPProblem } from '../validate/cluster-ips';
import { checkPortNumber } from '../validate/port';
import type { ConvertContext } from './object';
import { readProtocol } from './protocol';
import { childPath, type FieldReader, type Json } from './read';

export function toService(raw: Json, { read, base, domain }: ConvertContext): Service {
  const spec = read.record(raw, 'spec', '') ?? {};
  const ports = read.records(spec, 'ports', 'spec').flatMap(({ item, path }) => readPort(read, item, path) ?? []);
  checkUnique(read, ports);
  const service: Service = {
    kind: 'Service',
    ...base,
    hostname: `${base.meta.name}.${base.meta.namespace}.svc.${domain}`,
    ports: ports.map((p) => p.port),
  };
  const clusterIP = read.string(spec, 'clusterIP', 'spec');
  const ipProblem = clusterIP !== undefined ? clusterIPProblem(clusterIP) : undefined;
  if (ipProblem) read.report('MAST2104', 'spec.clusterIP', ipProblem);
  else if (clusterIP !== undefined) service.clusterIP = clusterIP;
  if (spec.selector !== undefined) service.selector = read.stringMap(spec, 'selector', 'spec');
  return service;
}

function readPort(read: FieldReader, item: Json, path: string): { port: ServicePort; path: string } | undefined {
  const port = read.int(item, 'port', path);
  if (port === undefined) {
    if (item.port === undefined) read.report('MAST1006', childPath(path, 'port'), 'is required');
    return undefined;
  }
  checkPortNumber(read, port, childPath(path, 'port'));
  const targetPort = readTargetPort(read, item, path) ?? port;
  const sp: ServicePort = { port, targetPort, protocol: readProtocol(read, item, path) };
  const name = read.string(item, 'name', path);
  const appProtocol = read.string(item, 'appProtocol', path);
  if (name !== undefined) sp.name = name;
  if (appProtocol !== undefined) sp.appProtocol = appProtocol;
  return { port: sp, path };
}

/** A number, or the name of a container port. */
function readTargetPort(read: FieldReader, item: Json, path: string): number | string | undefined {
  const v = item.targetPort;
  const field = childPath(path, 'targetPort');
  if (typeof v === 'string' && v !== '') return v;
  if (Number.isInteger(v)) {
    checkPortNumber(read, v as number, field);
    return v as number;
  }
  if (v !== undefined && v !== null) read.report('MAST1006', field, 'must be a port number or a port name');
  return undefined;
}

/** Kubernetes rejects two ports with the same number and protocol, or the same name. */
function checkUnique(read: FieldReader, ports: { port: ServicePort; path: string }[]): void {
  const numbers = new Set<string>();
  const names = new Set<string>();
  for (const { port, path } of ports) {
    const number = `${port.port}/${port.protocol}`;
    if (numbers.has(number)) read.report('MAST2013', path, `port ${number} is defined twice`);
    else if (port.name && names.has(port.name)) read.report('MAST2013', path, `port name ${port.name} is used twice`);
    numbers.add(number);
    if (port.name) names.add(port.name);
  }
}
