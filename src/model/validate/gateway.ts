import type { FieldReader } from '../parse/read';
import type { GatewaySpec } from '../types';
import { checkPortNumber } from './port';

export function validateGateway(spec: GatewaySpec, read: FieldReader): void {
  (spec.servers ?? []).forEach((server, i) => {
    const at = `spec.servers[${i}]`;
    checkPortNumber(read, server.port?.number, `${at}.port.number`);
    if (!server.hosts?.length) read.report('MAST2012', `${at}.hosts`, 'server must name at least one host');
  });
}
