import type { Pod } from '../types';
import type { ConvertContext } from './object';
import { readProtocol } from './protocol';
import type { Json } from './read';

export function toPod(raw: Json, { read, base }: ConvertContext): Pod {
  const spec = read.record(raw, 'spec', '') ?? {};
  const status = read.record(raw, 'status', '') ?? {};
  const pod: Pod = {
    kind: 'Pod',
    ...base,
    serviceAccount: read.string(spec, 'serviceAccountName', 'spec') || 'default',
    ready: readReady(read, status),
    containerPorts: read.records(spec, 'containers', 'spec').flatMap(({ item, path }) =>
      read.records(item, 'ports', path).flatMap(({ item: port, path: portPath }) => {
        const containerPort = read.int(port, 'containerPort', portPath);
        if (containerPort === undefined) return [];
        const name = read.string(port, 'name', portPath);
        return [{ containerPort, protocol: readProtocol(read, port, portPath), ...(name !== undefined && { name }) }];
      }),
    ),
  };
  const ip = read.string(status, 'podIP', 'status');
  if (ip) pod.ip = ip;
  return pod;
}

/** A pod without a Ready condition (hand-written config) counts as ready. */
function readReady(read: ConvertContext['read'], status: Json): boolean {
  const ready = read.records(status, 'conditions', 'status').find(({ item }) => item.type === 'Ready');
  return ready ? ready.item.status === 'True' : true;
}
