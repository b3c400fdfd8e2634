import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDuration, snapshotFromYaml } from '../../src/model';
import { durationProblem, readGoDuration } from '../../src/model/duration';
import { virtualService, yamlOf } from './fixtures';

test('Go-style durations parse to seconds', () => {
  assert.equal(parseDuration('1.5s'), 1.5);
  assert.equal(parseDuration('300ms'), 0.3);
  assert.equal(parseDuration('2m'), 120);
  assert.equal(parseDuration('1h'), 3600);
  assert.equal(parseDuration('1h30m'), 5400);
  assert.equal(parseDuration('0'), 0);
  assert.equal(parseDuration('.5s'), 0.5);
});

test('anything else is not a duration', () => {
  for (const text of ['', '5', '1.5', '-1s', 's', '5 s', '1d', '1s ', '10sec']) assert.equal(parseDuration(text), undefined, text);
});

test("beyond Go's int64 of nanoseconds is out of range, not bad syntax", () => {
  assert.deepEqual(readGoDuration('9300000000s'), { problem: 'range' });
  assert.deepEqual(readGoDuration('2562048h'), { problem: 'range' });
  assert.deepEqual(readGoDuration('99999999999999999999ns'), { problem: 'range' });
  assert.deepEqual(readGoDuration('2562047h47m16.854775807s'), { nanos: (1n << 63n) - 1n }, 'the largest int64 is a duration');
  assert.deepEqual(readGoDuration('2562047h47m16.854775808s'), { problem: 'range' }, 'one nanosecond more is not');
  assert.deepEqual(readGoDuration('-2562047h47m16.854775808s'), { nanos: -(1n << 63n) }, 'the most negative int64 is a duration');
  assert.deepEqual(readGoDuration('9300000000x'), { problem: 'syntax' }, 'a bad unit is bad syntax, however large the number');
  assert.match(durationProblem('9300000000s', 'range'), /^"9300000000s" is out of range: a duration is at most 2562047h47m16\.854775807s/);
  assert.match(durationProblem('10sec', 'syntax'), /is not a duration/);
  assert.equal(parseDuration('9300000000s'), undefined);
});

test('a timeout out of range is refused as out of range (MAST2006)', () => {
  const { diagnostics } = snapshotFromYaml(yamlOf(virtualService('r', 'reviews', { v1: undefined }, { timeout: '9300000000s' })));
  assert.deepEqual(
    diagnostics.map((d) => [d.code, d.field]),
    [['MAST2006', 'spec.http[0].timeout']],
  );
  assert.match(diagnostics[0]?.message ?? '', /out of range/);
});
