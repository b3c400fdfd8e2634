// A stream's proxy is found again at every push (identity.ts resolveIdentity): the Pod with its
// IPs gives it namespace, labels and service account. While that Pod is the same object the last
// resolution is returned as it was, so a push makes no new proxy per stream and the view cache's
// class key, kept per proxy object, holds; a changed Pod gives a new proxy with the new labels.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigStore } from '../../src/model';
import type { Proxy } from '../../src/translate/types';
import { resolveIdentity } from '../../src/xds/identity';
import { podYaml, put } from './service-mesh';

const claimed: Proxy = {
  role: 'sidecar',
  id: 'sidecar~10.7.3.1~a.default~default.svc.cluster.local',
  workloadName: 'a.default',
  serviceAccount: 'default',
  namespace: 'default',
  labels: {},
  ips: ['10.9.9.9', '10.7.3.1'],
  interceptionMode: 'NONE',
  localAddress: '127.0.0.1',
  outboundAddress: '127.0.0.1',
};

describe('resolveIdentity', () => {
  it('returns the last resolution while the Pod is the same object, and a new one when it changes', () => {
    const store = new ConfigStore();
    put(store, 'pod.yaml', podYaml('a', '10.7.3.1', 'app: a, version: v1'));
    put(store, 'other.yaml', podYaml('b', '10.7.4.1', 'app: b'));
    const first = resolveIdentity(claimed, store.snapshot());
    assert.deepEqual(first.proxy.labels, { app: 'a', version: 'v1' }, 'the second IP finds the Pod');
    assert.equal(first.pod?.meta.name, 'a');

    // Another Pod changes: this one is the same object in the new snapshot.
    put(store, 'other.yaml', podYaml('b', '10.7.4.1', 'app: b, version: v2'));
    assert.equal(resolveIdentity(claimed, store.snapshot(), first), first);

    put(store, 'pod.yaml', podYaml('a', '10.7.3.1', 'app: a, version: v2'));
    const third = resolveIdentity(claimed, store.snapshot(), first);
    assert.notEqual(third, first);
    assert.deepEqual(third.proxy.labels, { app: 'a', version: 'v2' });

    // The same last resolution is not reused for another claim.
    const other = { ...claimed };
    assert.equal(resolveIdentity(other, store.snapshot(), third).claimed, other);

    put(store, 'pod.yaml', '');
    const gone = resolveIdentity(claimed, store.snapshot(), third);
    assert.equal(gone.pod, undefined);
    assert.equal(gone.proxy, claimed, 'without a Pod the proxy is served as it claimed to be');
  });
});
