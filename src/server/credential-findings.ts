// A `credentialName` no Secret answers. Istio's SDS logs it and the listener (or cluster) waits
// for the secret, serving nothing; its analyzer reports a Gateway's as IST0163
// (pkg/config/analysis/analyzers/gateway/secret.go). Mast reports each Gateway server and
// DestinationRule TLS setting naming a credential that a connected proxy asked for and the source
// (Kubernetes Secrets, or --credential-dir) does not have, on the object and field (MAST3008).
import { diagnostic } from '../model/errors';
import { labelsMatch } from '../model/labels';
import { refOf, type Diagnostic, type MeshObject, type Pod } from '../model/types';

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
 * The namespaces a Gateway's credentials are looked up in: those of the Pods it selects (Istio's
 * analyzer IST0163 checks the same), or every namespace when no Pod answers it (file mode, or a
 * gateway not running yet). A DestinationRule's are read wherever a proxy it applies to runs.
 */
function lookedUpIn(object: MeshObject, pods: readonly Pod[]): (namespace: string) => boolean {
  if (object.kind !== 'Gateway') return () => true;
  const namespaces = new Set(pods.filter((p) => labelsMatch(object.spec.selector, p.meta.labels)).map((p) => p.meta.namespace));
  return (namespace) => namespaces.size === 0 || namespaces.has(namespace);
}

/**
 * MAST3008 at each field of `objects` (Gateways and DestinationRules) whose credentialName is in
 * `missing` for a namespace it is looked up in. A Gateway in another namespace than its proxy's
 * is still named: Istio reads a gateway's credentials in the proxy's own namespace, which is the
 * mistake to point at.
 */
export function missingCredentialFindings(objects: readonly MeshObject[], pods: readonly Pod[], missing: readonly MissingCredential[]): Diagnostic[] {
  if (missing.length === 0) return [];
  const found: Diagnostic[] = [];
  for (const object of objects) {
    if (object.kind !== 'Gateway' && object.kind !== 'DestinationRule') continue;
    const applies = lookedUpIn(object, pods);
    for (const { field, name } of credentialFields(object.spec, 'spec')) {
      const where = missing.filter((m) => m.name === name && applies(m.namespace)).map((m) => m.namespace);
      if (where.length === 0) continue;
      const message = `${name} names no Secret in namespace ${[...new Set(where)].sort().join(', ')}, where the proxy using it looks it up; what it configures serves nothing until one exists`;
      found.push(diagnostic('MAST3008', message, { object: refOf(object), origin: object.origin, field }));
    }
  }
  return found;
}
