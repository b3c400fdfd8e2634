// A `credentialName` no Secret answers. Istio's SDS logs it and the listener (or cluster) waits
// for the secret, serving nothing; its analyzer reports a Gateway's as IST0163
// (pkg/config/analysis/analyzers/gateway/secret.go). Mast reports each Gateway server and
// DestinationRule TLS setting naming a credential that a connected proxy asked for and the source
// (Kubernetes Secrets, or --credential-dir) does not have, on the object and field (MAST3008); and
// each naming a credential whose key SDS refused to a proxy that asked for it (MAST3010): a
// sidecar no DestinationRule entitles to it, or a service account that may not read its
// namespace's Secrets. Istio's SDS only logs that (pilot/pkg/xds/sds.go filterAuthorizedResources).
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
  return credentialNameFindings(objects, pods, missing, (name, where) => {
    const message = `${name} names no Secret in namespace ${[...new Set(where.map((m) => m.namespace))].sort().join(', ')}, where the proxy using it looks it up; what it configures serves nothing until one exists`;
    return ['MAST3008', message];
  });
}

/** A key SDS refused: the proxy's namespace and service account, the credentialName, and why (xds/credentials.ts refused()). */
export interface RefusedCredential extends MissingCredential {
  serviceAccount: string;
  why: string;
}

/**
 * MAST3010 at each field of `objects` whose credentialName's key SDS refused to a proxy that
 * asked for it, in a namespace it is looked up in: who was refused and why.
 */
export function refusedCredentialFindings(objects: readonly MeshObject[], pods: readonly Pod[], refused: readonly RefusedCredential[]): Diagnostic[] {
  return credentialNameFindings(objects, pods, refused, (name, where) => {
    const who = [...new Set(where.map((r) => `service account ${r.namespace}/${r.serviceAccount}: ${r.why}`))].sort().join('; ');
    return ['MAST3010', `the key of ${name} is refused to the proxy that uses it (${who}); what it configures waits for the key and serves nothing`];
  });
}

/** A finding at each credentialName field of a Gateway or DestinationRule that `entries` name, in a namespace it is looked up in. */
function credentialNameFindings<T extends MissingCredential>(
  objects: readonly MeshObject[],
  pods: readonly Pod[],
  entries: readonly T[],
  say: (name: string, where: T[]) => ['MAST3008' | 'MAST3010', string],
): Diagnostic[] {
  if (entries.length === 0) return [];
  const found: Diagnostic[] = [];
  for (const object of objects) {
    if (object.kind !== 'Gateway' && object.kind !== 'DestinationRule') continue;
    const applies = lookedUpIn(object, pods);
    for (const { field, name } of credentialFields(object.spec, 'spec')) {
      const where = entries.filter((m) => m.name === name && applies(m.namespace));
      if (where.length === 0) continue;
      const [code, message] = say(name, where);
      found.push(diagnostic(code, message, { object: refOf(object), origin: object.origin, field }));
    }
  }
  return found;
}
