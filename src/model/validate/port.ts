import type { FieldReader } from '../parse/read';

/** Reports MAST2011 when `port` is not a usable TCP/UDP port number. */
export function checkPortNumber(read: FieldReader, port: number | undefined, field: string): void {
  if (port !== undefined && (port < 1 || port > 65535)) read.report('MAST2011', field, `port ${port} is not in 1..65535`);
}
