import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_REASON_LENGTH, nackReason, reasonLabel } from '../../src/xds/nack';

// The shape of Envoy's error_detail for a failed proto constraint (MessageUtil::validate): the
// reason, then the whole rejected message as protobuf text.
const DUMP = ['name: "9080"', 'virtual_hosts {', '  name: "a.example.com:8080"', '  domains: "a.example.com"', '  routes {', '    match {', '      prefix: "/"', '    }', '  }', '}'];

test('a constraint failure keeps its reason and loses the re-printed route table', () => {
  const reason = 'Proto constraint validation failed (RouteConfigurationValidationError.VirtualHosts[0]: embedded message failed validation | caused by VirtualHostValidationError.Routes[0]: embedded message failed validation | caused by field: "match", reason: embedded message failed validation | caused by StringMatcherValidationError.Prefix: value length must be at least 1 characters)';
  const detail = `${reason}: ${DUMP.join('\n')}`;
  assert.equal(nackReason(detail), reason);
});

test('several resources: one reason per line; other reasons pass through whole', () => {
  const detail = [
    "Error adding/updating listener(s) 0.0.0.0_15000: cannot bind '0.0.0.0:15000': Address already in use",
    `http.8080: Proto constraint validation failed (x (nested) y): ${DUMP[0]}`,
    ...DUMP.slice(1),
    'Only unique values for domains are permitted. Duplicate entry of domain a.example.com in route http.8080',
  ].join('\n');
  assert.deepEqual(nackReason(detail).split('\n'), [
    "Error adding/updating listener(s) 0.0.0.0_15000: cannot bind '0.0.0.0:15000': Address already in use",
    'http.8080: Proto constraint validation failed (x (nested) y)',
    'Only unique values for domains are permitted. Duplicate entry of domain a.example.com in route http.8080',
  ]);
});

test('a huge reason is capped; the metric label is its first line, short', () => {
  const long = nackReason(`regex ${'x'.repeat(10_000)} is bad`);
  assert.equal(long.length, MAX_REASON_LENGTH);
  assert.ok(long.endsWith('…'));
  assert.equal(reasonLabel(`${'y'.repeat(300)}\nsecond`).length, 120);
  assert.equal(reasonLabel('one\ntwo'), 'one');
});

test('only the dump after a constraint failure is dropped; reasons that look like `name: text` stay', () => {
  const detail = [
    `Proto constraint validation failed (x): ${DUMP[0]}`,
    ...DUMP.slice(1),
    "virtualInbound: cannot bind '10.0.0.1:15006': Address already in use",
    'route: duplicate domain',
  ].join('\n');
  assert.deepEqual(nackReason(detail).split('\n'), ['Proto constraint validation failed (x)', "virtualInbound: cannot bind '10.0.0.1:15006': Address already in use", 'route: duplicate domain']);
});
