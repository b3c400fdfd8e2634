// VirtualService delegation (src/model/delegation.ts) as Istio's mergeVirtualServices and
// MergeHTTPRoutes (pilot/pkg/model/virtualservice*.go) define it: what the merged root holds, and
// the findings when a delegation cannot happen.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { snapshotFromYaml, type Diagnostic } from '../../src/model';
import { mergeDelegates } from '../../src/model/delegation';
import type { VirtualService } from '../../src/model/types';

const ROOT = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: root, namespace: front}
spec:
  hosts: [shop.example.com]
  gateways: [istio-system/gw]
  http:
  - name: api
    match: [{uri: {prefix: /api}}]
    timeout: 3s
    delegate: {name: api, namespace: back}
  - name: web
    match: [{uri: {prefix: /web}}, {uri: {prefix: /www}}]
    delegate: {name: web}
  - route: [{destination: {host: fallback}}]
`;

const API = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api, namespace: back}
spec:
  http:
  - name: v2
    match: [{uri: {prefix: /api/v2}, headers: {x-beta: {exact: "1"}}}]
    route: [{destination: {host: api, subset: v2}}]
    timeout: 1s
  - name: other
    match: [{uri: {prefix: /static}}]
    route: [{destination: {host: static}}]
  - route: [{destination: {host: api.back.svc.cluster.local, subset: v1}}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: api, namespace: back}
spec:
  host: api
  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
`;

const WEB = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web, namespace: front}
spec:
  http:
  - match: [{uri: {exact: /web/index.html}}]
    route: [{destination: {host: web}}]
`;

function load(...docs: string[]): { vs: (name: string) => VirtualService; diagnostics: Diagnostic[]; lookup: Parameters<typeof mergeDelegates>[1] } {
  const { snapshot, diagnostics } = snapshotFromYaml(docs.join('---\n'));
  const vs = (name: string): VirtualService => snapshot.virtualServices().find((v) => v.meta.name === name)!;
  const lookup: Parameters<typeof mergeDelegates>[1] = (ref) => snapshot.virtualServices().find((v) => v.meta.namespace === ref.namespace && v.meta.name === ref.name);
  return { vs, diagnostics, lookup };
}

describe('merging delegates into the root', () => {
  const { vs, lookup, diagnostics } = load(ROOT, API, WEB);
  const merged = mergeDelegates(vs('root'), lookup, 'cluster.local');

  test('each delegating rule becomes its delegate\'s rules, in place; other rules stay', () => {
    assert.deepEqual(
      merged.vs.spec.http?.map((r) => r.name),
      ['api-v2', 'api', 'web', undefined],
      'the conflicting /static rule is dropped; names join root-delegate as Istio',
    );
    assert.deepEqual(merged.delegates.map((d) => d.meta.name), ['api', 'web']);
    assert.equal(merged.vs.meta, vs('root').meta, 'the merged copy keeps the root\'s meta');
    assert.ok(merged.vs.spec.http?.every((r) => !r.delegate));
  });

  test('matches: the delegate\'s, with unset fields and maps from the root\'s; one per root match it fits', () => {
    const [v2, v1, web] = merged.vs.spec.http ?? [];
    assert.deepEqual(v2?.match, [{ uri: { prefix: '/api/v2' }, headers: { 'x-beta': { exact: '1' } } }]);
    assert.deepEqual(v1?.match, [{ uri: { prefix: '/api' } }], 'a delegate rule without matches takes the root\'s');
    assert.deepEqual(web?.match, [{ uri: { exact: '/web/index.html' } }], '/web/index.html fits /web, not /www');
  });

  test('fields the delegate rule leaves unset come from the root rule; its own win', () => {
    const [v2, v1] = merged.vs.spec.http ?? [];
    assert.equal(v2?.timeout, '1s');
    assert.equal(v1?.timeout, '3s');
  });

  test('short hosts in a delegate resolve in the delegate\'s namespace', () => {
    const [v2, v1, web, fallback] = merged.vs.spec.http ?? [];
    assert.equal(v2?.route?.[0]?.destination.host, 'api.back.svc.cluster.local');
    assert.equal(v1?.route?.[0]?.destination.host, 'api.back.svc.cluster.local');
    assert.equal(web?.route?.[0]?.destination.host, 'web.front.svc.cluster.local');
    assert.equal(fallback?.route?.[0]?.destination.host, 'fallback', 'the root\'s own rules are left for translation to resolve');
  });

  test('the dropped rule is named on the delegate, at its match (MAST3005); used delegates draw nothing else', () => {
    assert.deepEqual(
      diagnostics.map((d) => [d.code, d.object?.name, d.field]),
      [['MAST3005', 'api', 'spec.http[1].match']],
    );
    assert.match(diagnostics[0]!.message, /front\/root spec\.http\[0\]/);
  });
});

describe('delegations that cannot happen', () => {
  const findings = (...docs: string[]): [string, string | undefined, string | undefined][] =>
    load(...docs).diagnostics.map((d) => [d.code, d.object?.name, d.field]);

  test('a missing delegate: that rule routes nothing (MAST3004), the rest of the root stands', () => {
    const { vs, lookup } = load(ROOT, WEB);
    assert.deepEqual(mergeDelegates(vs('root'), lookup, 'cluster.local').vs.spec.http?.map((r) => r.route?.[0]?.destination.host), ['web.front.svc.cluster.local', 'fallback']);
    assert.deepEqual(findings(ROOT, WEB), [['MAST3004', 'root', 'spec.http[0].delegate']]);
  });

  test('a delegate not exported to the root\'s namespace is not used (MAST3004), and draws MAST2002 as unused', () => {
    const hidden = API.replace('spec:\n', 'spec:\n  exportTo: ["."]\n');
    const got = findings(ROOT, hidden, WEB);
    assert.deepEqual(got, [['MAST3004', 'root', 'spec.http[0].delegate'], ['MAST2002', 'api', 'spec.hosts']]);
    assert.deepEqual(findings(ROOT, API.replace('spec:\n', 'spec:\n  exportTo: [front]\n'), WEB), [['MAST3005', 'api', 'spec.http[1].match']]);
  });

  test('a "delegate" with hosts is a root, not a delegate (MAST3004)', () => {
    const rooted = WEB.replace('spec:\n', 'spec:\n  hosts: [web]\n');
    assert.deepEqual(findings(ROOT, API, rooted).filter(([code]) => code === 'MAST3004'), [['MAST3004', 'root', 'spec.http[1].delegate']]);
  });

  test('a delegate no root uses has no effect (MAST2002)', () => {
    assert.deepEqual(findings(WEB), [['MAST2002', 'web', 'spec.hosts']]);
  });
});

test('Istio\'s conflict rules: exact vs prefix, prefix narrowing, regex only against nothing, ports, sourceNamespace', () => {
  const root = (match: object): string => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: r, namespace: ns}
spec:
  hosts: [h]
  http: [{match: [${JSON.stringify(match)}], delegate: {name: d}}]
`;
  const leaf = (match: object): string => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: d, namespace: ns}
spec:
  http: [{match: [${JSON.stringify(match)}], route: [{destination: {host: h}}]}]
`;
  const kept = (r: object, l: object): boolean => {
    const { vs, lookup } = load(root(r), leaf(l));
    return (mergeDelegates(vs('r'), lookup, 'cluster.local').vs.spec.http ?? []).length === 1;
  };
  assert.equal(kept({ uri: { prefix: '/a' } }, { uri: { prefix: '/a/b' } }), true);
  assert.equal(kept({ uri: { prefix: '/a/b' } }, { uri: { prefix: '/a' } }), false);
  assert.equal(kept({ uri: { exact: '/a' } }, { uri: { exact: '/a' } }), true);
  assert.equal(kept({ uri: { exact: '/a' } }, { uri: { prefix: '/a' } }), false);
  assert.equal(kept({ uri: { regex: '/a.*' } }, { uri: { prefix: '/a' } }), false);
  assert.equal(kept({ uri: { regex: '/a.*' } }, { headers: { x: { exact: 'y' } } }), true);
  assert.equal(kept({ port: 80 }, { port: 8080 }), false);
  assert.equal(kept({ sourceNamespace: 'a' }, { sourceNamespace: 'b' }), false);
  assert.equal(kept({ ignoreUriCase: true, uri: { prefix: '/a' } }, { uri: { prefix: '/a' } }), false);
  assert.equal(kept({ sourceLabels: { app: 'x' } }, { sourceLabels: { app: 'y' } }), false);
  assert.equal(kept({ gateways: ['g1'] }, { gateways: ['g1', 'g2'] }), false);
});
