import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostMatches, intersectHosts } from '../../src/translate/hosts';
import { portProtocol } from '../../src/translate/protocol';
import { protoDuration, durationSeconds } from '../../src/translate/durations';
import { provenance } from '../../src/translate/provenance';

test('wildcard hosts cover names and narrower wildcards', () => {
  assert.ok(hostMatches('*', 'reviews.default.svc.cluster.local'));
  assert.ok(hostMatches('*.example.com', 'a.example.com'));
  assert.ok(hostMatches('*.example.com', '*.b.example.com'));
  assert.ok(!hostMatches('*.example.com', 'example.com'));
  assert.ok(!hostMatches('*.example.com', '*'));
  assert.ok(!hostMatches('a.example.com', 'b.example.com'));
});

test('host intersection keeps the narrower pattern', () => {
  assert.equal(intersectHosts('*', 'bookinfo.com'), 'bookinfo.com');
  assert.equal(intersectHosts('bookinfo.com', '*'), 'bookinfo.com');
  assert.equal(intersectHosts('*.com', '*.example.com'), '*.example.com');
  assert.equal(intersectHosts('a.com', 'b.com'), undefined);
});

test('port protocol follows appProtocol, then the name prefix, else HTTP', () => {
  const p = (name: string | undefined, appProtocol?: string, protocol: 'TCP' | 'UDP' = 'TCP') => portProtocol({ port: 9080, name, appProtocol, protocol });
  assert.equal(p('http'), 'HTTP');
  assert.equal(p('http-web'), 'HTTP');
  assert.equal(p('http2'), 'HTTP2');
  assert.equal(p('grpc-echo'), 'HTTP2');
  assert.equal(p('tcp-db'), 'TCP');
  assert.equal(p('mongo'), 'TCP');
  assert.equal(p('redis'), 'TCP');
  assert.equal(p('https'), 'TLS');
  assert.equal(p('web', 'kubernetes.io/h2c'), 'HTTP2');
  assert.equal(p('http', 'tcp'), 'TCP');
  assert.equal(p(undefined), 'HTTP');
  assert.equal(p('metrics'), 'HTTP');
  assert.equal(p('constructor'), 'HTTP');
  assert.equal(p('dns', undefined, 'UDP'), undefined);
});

test('durations print as protobuf does', () => {
  assert.equal(protoDuration('10s'), '10s');
  assert.equal(protoDuration('0.25s'), '0.250s');
  assert.equal(protoDuration('30ms'), '0.030s');
  assert.equal(protoDuration('1m30s'), '90s');
  assert.equal(protoDuration('100us'), '0.000100s');
  assert.equal(protoDuration('1ns'), '0.000000001s');
  assert.equal(protoDuration('0'), '0s');
  assert.equal(protoDuration('ten seconds'), undefined);
  assert.equal(durationSeconds('2h'), 7200);
  assert.equal(durationSeconds('1.9s'), 1);
});

test('provenance lists each source once, sorted', () => {
  const refs = [
    { kind: 'Service', namespace: 'b', name: 'x' },
    { kind: 'DestinationRule', namespace: 'a', name: 'y' },
    { kind: 'Service', namespace: 'b', name: 'x' },
  ] as const;
  assert.deepEqual(provenance(refs), { filter_metadata: { mast: { sources: ['DestinationRule/a/y', 'Service/b/x'] } } });
});
