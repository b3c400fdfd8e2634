// A `credentialName` no Secret answers. Istio's SDS logs it and the listener (or cluster) waits
// for the secret, serving nothing; its analyzer reports a Gateway's as IST0163
// (pkg/config/analysis/analyzers/gateway/secret.go). Mast reports each Gateway server and
// DestinationRule TLS setting naming a credential that a connected proxy asked for and the source
// (Kubernetes Secrets, or --credential-dir) does not have, on the object and field (MAST3008).
import { diagnostic } from '../model/errors';
import { refOf, type Diagnostic, type MeshObject } from '../model/types';

export interface MissingCredential {
  /** The namespace of the proxy that asked, where the credential is looked up. */
  namespace: string;
  name: string;
}

/** Every `credentialName` (and `credentialNames[i]`) under `value`, with its dotted path. */
function credentialFields(value: unknown, at: string): { field: string; name: string }[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => credentialFields(v, `${at}[${i}]`));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, v]) => {
    const field = `${at}.${key}`;
    if (key === 'credentialName' && typeof v === 'string') return [{ field, name: v }];
    if (key === 'credentialNames' && Array.isArray(v)) return v.flatMap((n, i) => (typeof n === 'string' ? [{ field: `${field}[${i}]`, name: n }] : []));
    return credentialFields(v, field);
  });
}

/**
 * MAST3008 at each field of `objects` (Gateways and DestinationRules) whose credentialName is in
 * `missing`. A Gateway in another namespace than the proxy's is still named: Istio reads a
 * gateway's credentials in the proxy's own namespace, which is the mistake to point at.
 */
export function missingCredentialFindings(objects: readonly MeshObject[], missing: readonly MissingCredential[]): Diagnostic[] {
  if (missing.length === 0) return [];
  const found: Diagnostic[] = [];
  for (const object of objects) {
    if (object.kind !== 'Gateway' && object.kind !== 'DestinationRule') continue;
    for (const { field, name } of credentialFields(object.spec, 'spec')) {
      const where = missing.filter((m) => m.name === name).map((m) => m.namespace);
      if (where.length === 0) continue;
      const message = `${name} names no Secret in namespace ${[...new Set(where)].sort().join(', ')}, where the proxy using it looks it up; what it configures serves nothing until one exists`;
      found.push(diagnostic('MAST3008', message, { object: refOf(object), origin: object.origin, field }));
    }
  }
  return found;
}
