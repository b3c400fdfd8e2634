// The debounce: a burst of changes is one push, and an endpoint change after a quiet spell is
// pushed at once (src/xds/debounce.ts). Real timers; every check compares timers that Node runs
// in expiry order, so a busy machine delays them all without reordering them.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { Debouncer, endpointsOnly } from '../../src/xds/debounce';

/** A debouncer that records each fire's first-change time, with `delayMs` 50 and a long quiet spell. */
function debouncer(opts: { maxDelayMs?: number; leadWith?: boolean } = {}) {
  const fired: number[] = [];
  const d = new Debouncer(50, opts.maxDelayMs ?? 60_000, (at) => fired.push(at), opts.leadWith);
  return { d, fired };
}

/** Waits `ms`, then checks that `count` pushes have fired. */
async function firedAfter(ms: number, fired: readonly number[], count: number, why?: string): Promise<void> {
  await sleep(ms);
  assert.equal(fired.length, count, why);
}

describe('debounce', () => {
  it('pushes a burst of changes once, delayMs after the last', async () => {
    const { d, fired } = debouncer();
    const first = performance.now();
    d.trigger();
    await sleep(20);
    d.trigger();
    await firedAfter(20, fired, 0, 'the second change restarted the wait');
    await firedAfter(60, fired, 1);
    assert.ok(fired[0]! >= first && fired[0]! < first + 20, 'the push carries the time of the first change');
  });

  it('pushes a leading change after a quiet spell at once, and debounces the next ones', async () => {
    const { d, fired } = debouncer();
    d.trigger(true);
    await firedAfter(5, fired, 1, 'nothing had fired yet: quiet');
    d.trigger(true);
    await firedAfter(5, fired, 1, 'within the spell a leading change waits');
    await firedAfter(60, fired, 2);
  });

  it('leads again once the spell has passed', async () => {
    const { d, fired } = debouncer({ maxDelayMs: 30 });
    d.trigger(true);
    await firedAfter(5, fired, 1);
    await sleep(40);
    d.trigger(true);
    await firedAfter(5, fired, 2);
  });

  it('joins a leading change to a pending debounce, restarting its wait as any change does', async () => {
    const { d, fired } = debouncer();
    d.trigger();
    await sleep(30);
    d.trigger(true);
    await firedAfter(30, fired, 0, 'the wait restarted at the leading change');
    await firedAfter(40, fired, 1);
  });

  it('lets a change that does not lead postpone a pending leading push, carried in one push', async () => {
    const { d, fired } = debouncer();
    const first = performance.now();
    d.trigger(true);
    d.trigger(true);
    d.trigger();
    await firedAfter(5, fired, 0, 'a config change beside the endpoint change: both wait');
    await firedAfter(60, fired, 1);
    assert.ok(fired[0]! < first + 5);
  });

  it('debounces leading changes too without leadWith (--eds-debounce)', async () => {
    const { d, fired } = debouncer({ leadWith: false });
    d.trigger(true);
    await firedAfter(5, fired, 0);
    await firedAfter(60, fired, 1);
  });

  it('forgets a pending change when cancelled', async () => {
    const { d, fired } = debouncer();
    d.trigger(true);
    d.cancel();
    d.trigger();
    d.cancel();
    await firedAfter(70, fired, 0);
  });

  it('leads with changes of EndpointSlices only', () => {
    assert.equal(endpointsOnly(['EndpointSlice/default/reviews-abc']), true);
    assert.equal(endpointsOnly(['EndpointSlice/default/reviews-abc', 'EndpointSlice/default/ratings-x']), true);
    assert.equal(endpointsOnly(['EndpointSlice/default/reviews-abc', 'Pod/default/reviews-v1-1']), false);
    assert.equal(endpointsOnly(['Service/default/EndpointSlice']), false);
    assert.equal(endpointsOnly([]), false);
  });
});
