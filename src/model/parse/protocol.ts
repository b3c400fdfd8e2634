import { childPath, type FieldReader, type Json } from './read';

const PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const;
type Protocol = (typeof PROTOCOLS)[number];

/** Kubernetes' L4 protocol field, `TCP` when absent. */
export function readProtocol(read: FieldReader, obj: Json, parent: string): Protocol {
  const value = read.string(obj, 'protocol', parent);
  if (value === undefined) return 'TCP';
  const known = PROTOCOLS.find((p) => p === value);
  if (!known) read.report('MAST1006', childPath(parent, 'protocol'), `must be one of ${PROTOCOLS.join(', ')}, not ${value}`);
  return known ?? 'TCP';
}
