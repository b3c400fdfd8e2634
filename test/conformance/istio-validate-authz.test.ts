// Differential test for the policy kinds Mast translates in src/policy/authorization,
// src/policy/request-authentication and src/policy/mtls: Mast refuses exactly the
// AuthorizationPolicies, RequestAuthentications and PeerAuthentications that `istioctl validate`
// (the pinned revision, `make istioctl`) refuses.
// Objects: every one in Istio's own trees (samples, security and validation test data, read in
// place from the Go module cache), the project's, and corners written here for each check of
// ValidateAuthorizationPolicy and ValidateRequestAuthentication.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { parseObject } from '../../src/model/parse/object';
import { istioModuleDir } from './corpus';
import { istioctlPath, istioKey, istioValidate, type Raw } from './istioctl';

const KINDS = new Set(['AuthorizationPolicy', 'RequestAuthentication', 'PeerAuthentication']);
const TREES = ['samples', 'pilot/pkg/security', 'pilot/pkg/model', 'pilot/pkg/networking', 'pkg/config', 'tests/testdata', 'tests/integration/security'];
const ROOT = path.resolve(__dirname, '..', '..');

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (name === 'node_modules' || name.startsWith('.')) return [];
    return statSync(full).isDirectory() ? walk(full) : /\.ya?ml$/.test(name) ? [full] : [];
  });
}

function objectsIn(file: string): Raw[] {
  let docs;
  try {
    docs = parseAllDocuments(readFileSync(file, 'utf8'));
  } catch {
    return [];
  }
  return (Array.isArray(docs) ? docs : [docs]).flatMap((doc) => {
    if (doc.errors.length) return [];
    const o = doc.toJS() as Raw | null;
    return o && typeof o === 'object' && KINDS.has(o.kind as string) && /^security\.istio\.io\/v1(beta1)?$/.test(String(o.apiVersion)) ? [o] : [];
  });
}

const ap = (spec: Raw, annotations?: Record<string, string>): Raw => ({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'corner', namespace: 'foo', ...(annotations ? { annotations } : {}) }, spec });
const ra = (spec: Raw): Raw => ({ apiVersion: 'security.istio.io/v1', kind: 'RequestAuthentication', metadata: { name: 'corner', namespace: 'foo' }, spec });
const pa = (spec: Raw): Raw => ({ apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'corner', namespace: 'foo' }, spec });
const JWKS = JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' }] });

/** One object per check, each on both sides of it where it has two. */
const CORNERS: Raw[] = [
  ap({}), ap({ rules: [{}] }), ap({ action: 'DENY' }), ap({ action: 'DENY', rules: [{}] }), ap({ action: 'AUDIT', rules: [{}] }),
  ap({ action: 'CUSTOM', provider: { name: 'ext' }, rules: [{}] }), ap({ action: 'CUSTOM', provider: { name: 'ext' } }), ap({ action: 'CUSTOM', rules: [{}] }),
  ap({ action: 'CUSTOM', provider: { name: 'ext' }, rules: [{ from: [{ source: { namespaces: ['a'] } }] }] }),
  ap({ action: 'CUSTOM', provider: { name: 'ext' }, rules: [{ from: [{ source: { ipBlocks: ['1.2.3.4'] } }] }] }),
  ap({ action: 'CUSTOM', provider: { name: 'ext' }, rules: [{ when: [{ key: 'request.auth.claims[iss]', values: ['a'] }] }] }),
  ap({ action: 'ALLOW', provider: { name: 'ext' }, rules: [{}] }),
  ap({ rules: [{ from: [{ source: {} }] }] }), ap({ rules: [{ to: [{ operation: {} }] }] }), ap({ rules: [{ from: [{}] }] }), ap({ rules: [{ to: [{}] }] }),
  ap({ rules: [{ from: [{ source: { ipBlocks: ['1.2.3.4', '10.0.0.0/8', '2001:db8::/32'] } }] }] }),
  ap({ rules: [{ from: [{ source: { ipBlocks: ['1.2.3'] } }] }] }), ap({ rules: [{ from: [{ source: { notRemoteIpBlocks: ['10.0.0.0/33'] } }] }] }),
  ap({ rules: [{ from: [{ source: { principals: [''] } }] }] }), ap({ rules: [{ from: [{ source: { namespaces: ['a'], serviceAccounts: ['b'] } }] }] }),
  ap({ rules: [{ from: [{ source: { serviceAccounts: ['ns/sa', 'sa'] } }] }] }), ap({ rules: [{ from: [{ source: { serviceAccounts: ['a/b/c'] } }] }] }),
  ap({ rules: [{ from: [{ source: { serviceAccounts: ['sa*'] } }] }] }), ap({ rules: [{ from: [{ source: { notServiceAccounts: ['/sa'] } }] }] }),
  ap({ rules: [{ to: [{ operation: { ports: ['80', '65535'] } }] }] }), ap({ rules: [{ to: [{ operation: { ports: ['65536'] } }] }] }), ap({ rules: [{ to: [{ operation: { notPorts: ['http'] } }] }] }),
  ap({ rules: [{ to: [{ operation: { methods: [''] } }] }] }), ap({ rules: [{ to: [{ operation: { paths: ['/a/{*}/b/{**}'] } }] }] }),
  ap({ rules: [{ to: [{ operation: { paths: ['/a/{**}/b/{*}'] } }] }] }), ap({ rules: [{ to: [{ operation: { paths: ['/a/{x}'] } }] }] }),
  ap({ rules: [{ to: [{ operation: { notPaths: ['/a b/{*}'] } }] }] }),
  ap({ rules: [{ when: [{ key: 'request.headers[x]', values: ['a'] }] }] }), ap({ rules: [{ when: [{ key: 'request.headers', values: ['a'] }] }] }),
  ap({ rules: [{ when: [{ key: 'source.ip', values: ['1.2.3.4/24'] }] }] }), ap({ rules: [{ when: [{ key: 'source.ip', notValues: ['x'] }] }] }),
  ap({ rules: [{ when: [{ key: 'destination.port', values: ['80'] }] }] }), ap({ rules: [{ when: [{ key: 'destination.port', values: ['-1'] }] }] }),
  ap({ rules: [{ when: [{ key: 'source.serviceAccount', values: ['ns/sa'] }] }] }), ap({ rules: [{ when: [{ key: 'source.trustDomain', values: ['a*b'] }] }] }),
  ap({ rules: [{ when: [{ key: 'request.auth.claims[groups]', values: ['a'] }] }] }), ap({ rules: [{ when: [{ key: 'request.auth.claims[]', values: ['a'] }] }] }),
  ap({ rules: [{ when: [{ key: 'destination.namespace', values: ['a'] }] }] }), ap({ rules: [{ when: [{ key: 'destination.labels[app]', values: ['a'] }] }] }),
  ap({ rules: [{ when: [{ key: 'destination.user', values: ['a'] }] }] }), ap({ rules: [{ when: [{ key: 'foo.bar', values: ['a'] }] }] }),
  ap({ rules: [{ when: [{ key: 'source.namespace' }] }] }), ap({ rules: [{ when: [{ key: 'connection.sni', values: [''] }] }] }),
  ap({ rules: [{ when: [{ key: 'experimental.envoy.filters.a.b[c]', values: ['x'] }] }] }),
  ap({ action: 'DENY', rules: [{ to: [{ operation: { methods: ['GET'] } }] }] }), ap({ action: 'DENY', rules: [{ from: [{ source: { requestPrincipals: ['*'] } }] }] }),
  ap({ selector: { matchLabels: { app: 'a' } }, targetRefs: [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'g' }] }),
  ap({ targetRefs: [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'g' }] }), ap({ targetRefs: [{ kind: 'Service', group: '', name: 's' }] }),
  ap({ targetRefs: [{ kind: 'Pod', group: '', name: 'p' }] }), ap({ targetRefs: [{ kind: 'Service', name: 's', namespace: 'other' }] }),
  ap({ targetRef: { kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'g' } }),
  ap({ rules: [{}] }, { 'istio.io/dry-run': 'true' }), ap({ rules: [{}] }, { 'istio.io/dry-run': 'yes' }), ap({ action: 'AUDIT', rules: [{}] }, { 'istio.io/dry-run': 'true' }),
  ap({ action: 'DENY', rules: [{}] }, { 'istio.io/dry-run': 'F' }),
  ra({ jwtRules: [{ issuer: 'https://a', jwksUri: 'https://a/jwks', audiences: ['x'] }] }), ra({ jwtRules: [{ issuer: 'a', audiences: [''] }] }),
  ra({ jwtRules: [{ audiences: ['x'] }] }), ra({ jwtRules: [{ jwksUri: 'https://a/jwks' }] }), ra({ jwtRules: [{ issuer: 'a', jwksUri: 'ftp://a/jwks' }] }),
  ra({ jwtRules: [{ issuer: 'a', jwks: JWKS }] }), ra({ jwtRules: [{ issuer: 'a', jwks: '{"keys": [{"kty": "XYZ"}]}' }] }), ra({ jwtRules: [{ issuer: 'a', jwks: 'not json' }] }),
  ra({ jwtRules: [{ issuer: 'a', fromHeaders: [{ name: 'x-jwt', prefix: 'Bearer ' }], fromParams: ['t'], fromCookies: ['c'] }] }),
  ra({ jwtRules: [{ issuer: 'a', fromHeaders: [{ name: '' }] }] }), ra({ jwtRules: [{ issuer: 'a', fromParams: [''] }] }), ra({ jwtRules: [{ issuer: 'a', fromCookies: [''] }] }),
  ra({ jwtRules: [{ issuer: 'a', outputClaimToHeaders: [{ header: 'x-sub', claim: 'sub' }] }] }), ra({ jwtRules: [{ issuer: 'a', outputClaimToHeaders: [{ header: 'x sub', claim: 'sub' }] }] }),
  ra({ jwtRules: [{ issuer: 'a', outputClaimToHeaders: [{ header: 'x-sub', claim: '' }] }] }), ra({ jwtRules: [{ issuer: 'a', timeout: '0.5ms' }] }), ra({ jwtRules: [{ issuer: 'a', timeout: '2s' }] }),
  ra({ jwtRules: [{ issuer: 'a', outputPayloadToHeader: 'x-payload', forwardOriginalToken: true, spaceDelimitedClaims: ['roles'] }] }),
  pa({}), pa({ mtls: { mode: 'UNSET' } }), pa({ mtls: { mode: 'STRICT' } }), pa({ selector: {} }), pa({ selector: { matchLabels: { app: 'a*' } } }),
  pa({ selector: { matchLabels: { app: 'a' } }, portLevelMtls: { 8080: { mode: 'DISABLE' }, 9090: { mode: 'UNSET' } } }),
  pa({ portLevelMtls: { 8080: { mode: 'STRICT' } } }), pa({ selector: { matchLabels: { app: 'a' } }, portLevelMtls: {} }),
  pa({ selector: { matchLabels: { app: 'a' } }, portLevelMtls: { 0: { mode: 'STRICT' } } }), pa({ selector: { matchLabels: { app: 'a' } }, portLevelMtls: { 65536: { mode: 'STRICT' } } }),
  pa({ selector: { matchLabels: { app: 'a' } }, portLevelMtls: { http: { mode: 'STRICT' } } }),
  ra({ selector: { matchLabels: { app: 'a' } }, jwtRules: [{ issuer: 'a' }] }), ra({ targetRefs: [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'g' }], jwtRules: [{ issuer: 'a' }] }),
];

test('AuthorizationPolicy, RequestAuthentication and PeerAuthentication: Mast refuses what istioctl validate refuses', (t) => {
  const bin = istioctlPath();
  if (!bin) {
    t.skip('istioctl is not built (`make istioctl`); `make test` builds it');
    return;
  }
  const moduleDir = istioModuleDir();
  const found = [
    ...TREES.flatMap((tree) => walk(path.join(moduleDir, tree))).flatMap(objectsIn),
    ...['test', 'e2e', 'examples'].flatMap((tree) => walk(path.join(ROOT, tree))).flatMap(objectsIn),
    ...CORNERS,
  ];
  const objects = found.map((o, i): Raw => ({ ...o, metadata: { ...(o.metadata as Raw), name: `c${i}`, namespace: (o.metadata as Raw | undefined)?.namespace ?? 'default' } }));
  const verdicts = istioValidate(bin, objects);
  const differ = objects.flatMap((o) => {
    const mast = parseObject(o, { file: 'corpus' }, { domain: 'cluster.local' }).diagnostics.filter((d) => d.severity === 'error');
    const istio = verdicts.get(istioKey(o))?.errors ?? [];
    return (mast.length > 0) === (istio.length > 0) ? [] : [`${JSON.stringify(o.spec)} ${JSON.stringify((o.metadata as Raw).annotations ?? {})}: Mast ${mast.map((d) => `${d.code} ${d.field} ${d.message}`).join('; ') || 'accepts'}; Istio ${istio.join('; ') || 'accepts'}`];
  });
  const refused = objects.filter((o) => (verdicts.get(istioKey(o))?.errors.length ?? 0) > 0).length;
  console.log(`security kinds: ${objects.length} objects (${found.length - CORNERS.length} from Istio's trees and the project), ${refused} refused by istioctl, ${differ.length} verdicts differ`);
  assert.deepEqual(differ, []);
});
