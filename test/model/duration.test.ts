import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDuration } from '../../src/model';

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
