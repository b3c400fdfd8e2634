// bench/profile-window.ts on a profile small enough to work out by hand: self time, each
// function's total with what it calls (a recursive function counted once per sample), idle kept
// out of the totals, samples outside the windows left out, and the --change list.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { changeNumbers, timeIn, type CpuProfile } from '../../bench/profile-window';

const frame = (functionName: string, url = '/work/m/dist/src/xds/server.js', lineNumber = 0) => ({ functionName, url, lineNumber });

// (root) -> push -> write -> write (recursing) ; (root) -> (idle) ; (root) -> read
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)', ''), children: [2, 5, 6] },
    { id: 2, callFrame: frame('push', '/work/m/dist/src/xds/server.js', 9), children: [3] },
    { id: 3, callFrame: frame('write', '/work/m/dist/src/xds/connection.js', 19), children: [4] },
    { id: 4, callFrame: frame('write', '/work/m/dist/src/xds/connection.js', 19) },
    { id: 5, callFrame: frame('(idle)', '') },
    { id: 6, callFrame: frame('read', 'node:internal/stream_base_commons', 99) },
  ],
  startTime: 1000,
  // Sample times 1000, 2000, ... 7000 µs; each counts until the next (1 ms), the last for nothing.
  samples: [2, 4, 4, 5, 6, 3, 2],
  timeDeltas: [0, 1000, 1000, 1000, 1000, 1000, 1000],
};

test('self time, totals with callees, idle and the windows', () => {
  // Samples at 1000-5999 µs: push, write (deep) twice, idle, read.
  const t = timeIn(profile, [[1000, 6000]]);
  assert.equal(t.totalMs, 5);
  assert.equal(t.byFunction.get('push server.js:10'), 1);
  assert.equal(t.byFunction.get('write connection.js:20'), 2);
  assert.equal(t.byFunction.get('(idle)'), 1);
  assert.equal(t.bySource.get('src/xds'), 3);
  assert.equal(t.bySource.get('node:internal'), 1);
  // push's total: its own sample and the two in write under it; write's two count once each.
  assert.equal(t.inclusive.get('push server.js:10'), 3);
  assert.equal(t.inclusive.get('write connection.js:20'), 2);
  assert.equal(t.inclusive.get('(root)'), 4, 'idle is not work');
  assert.equal(t.inclusive.has('(idle)'), false);
  // Two windows: the first sample and the sixth (write under push) only.
  const two = timeIn(profile, [[1000, 2000], [6000, 7000]]);
  assert.equal(two.totalMs, 2);
  assert.equal(two.inclusive.get('push server.js:10'), 2);
  assert.equal(two.byFunction.get('write connection.js:20'), 1);
});

test('--change takes numbers and ranges, and nothing else', () => {
  assert.deepEqual([...changeNumbers('1')], [1]);
  assert.deepEqual([...changeNumbers('2-4, 7')].sort(), [2, 3, 4, 7]);
  assert.throws(() => changeNumbers('x'), /expected numbers and ranges/);
  assert.throws(() => changeNumbers('1-'), /expected numbers and ranges/);
});
