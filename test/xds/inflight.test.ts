import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { TYPE_URLS, type ProxyClass, type ResourceSet } from '../../src/translate/types';
import { resourceTypes } from '../../src/envoy-api/protos';
import { ViewCache } from '../../src/xds/cache';
import type { Connection } from '../../src/xds/connection';
import { DeltaConnection } from '../../src/xds/delta';
import { InflightBudget, type BudgetWaiter } from '../../src/xds/inflight';
import { XdsMetrics } from '../../src/xds/metrics';
import { SotwConnection } from '../../src/xds/sotw';
import { DEFAULT_XDS_LIMITS } from '../../src/xds/limits';
import { createTelemetry } from '../../src/telemetry/metrics';
import { cluster, endpoints, fakeSnapshot, listener, quiet, route } from './fake-world';
import { ResponseBytes } from '../../src/xds/wire';

/** A waiter that takes `sizes` one after another, each when resumed, and records what it got. */
class Taker implements BudgetWaiter {
  got: number[] = [];
  constructor(readonly name: string, private readonly budget: InflightBudget, private readonly sizes: number[], private readonly log: string[]) {}
  resume(): void {
    this.run();
  }
  run(): void {
    while (this.sizes.length > 0 && this.budget.take(this, this.sizes[0]!)) {
      const size = this.sizes.shift()!;
      this.got.push(size);
      this.log.push(`${this.name}${size}`);
    }
  }
}

describe('in-flight budget', () => {
  it('queues in FIFO order: a later small response waits behind an earlier big one', () => {
    const budget = new InflightBudget(100);
    const log: string[] = [];
    const a = new Taker('a', budget, [60], log);
    const b = new Taker('b', budget, [60], log);
    const c = new Taker('c', budget, [10], log);
    a.run();
    b.run();
    c.run();
    assert.deepEqual(log, ['a60'], 'c would fit but must not pass b');
    assert.equal(budget.waiting, 2);
    budget.release(60);
    assert.deepEqual(log, ['a60', 'b60', 'c10'], 'b first, then c, which fits beside b');
    assert.equal(budget.bytes, 70);
    assert.equal(budget.waiting, 0);
  });

  it('a stream wanting many responses writes one per turn while others wait', () => {
    const budget = new InflightBudget(100);
    const log: string[] = [];
    const a = new Taker('a', budget, [100, 100, 100], log);
    const b = new Taker('b', budget, [100], log);
    a.run();
    b.run();
    assert.deepEqual(log, ['a100'], 'a queued for its second response before b came');
    budget.release(100);
    assert.deepEqual(log, ['a100', 'a100']);
    budget.release(100);
    assert.deepEqual(log, ['a100', 'a100', 'b100'], 'b, queued while a had its turn, goes before a third response of a');
    budget.release(100);
    assert.deepEqual(log, ['a100', 'a100', 'b100', 'a100']);
  });

  it('a response larger than the whole budget goes alone', () => {
    const budget = new InflightBudget(100);
    const log: string[] = [];
    const a = new Taker('a', budget, [50], log);
    const big = new Taker('big', budget, [250], log);
    const c = new Taker('c', budget, [1], log);
    a.run();
    big.run();
    c.run();
    assert.deepEqual(log, ['a50']);
    budget.release(50);
    assert.deepEqual(log, ['a50', 'big250'], 'nothing else is in flight, so it goes');
    assert.equal(budget.bytes, 250);
    budget.release(250);
    assert.deepEqual(log, ['a50', 'big250', 'c1']);
  });

  it('a closed stream leaves the queue and the next one goes', () => {
    const budget = new InflightBudget(100);
    const log: string[] = [];
    const a = new Taker('a', budget, [100], log);
    const b = new Taker('b', budget, [100], log);
    const c = new Taker('c', budget, [100], log);
    a.run();
    b.run();
    c.run();
    budget.forget(b);
    budget.release(100);
    assert.deepEqual(log, ['a100', 'c100']);
  });

  it('never has more in flight than the limit, unless one response alone is larger; and every taker is served', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 1000 }),
      fc.array(fc.array(fc.integer({ min: 1, max: 1500 }), { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 8 }),
      fc.array(fc.nat(), { maxLength: 200 }),
      (limit, wants, picks) => {
        const budget = new InflightBudget(limit);
        const log: string[] = [];
        const takers = wants.map((sizes, i) => new Taker(`t${i}-`, budget, [...sizes], log));
        const inFlight: number[] = [];
        const check = (): void => {
          const alone = inFlight.length === 1;
          assert.ok(budget.bytes <= limit || alone, `${budget.bytes} in flight over ${limit} with ${inFlight.length} responses`);
          assert.equal(budget.bytes, inFlight.reduce((a, b) => a + b, 0));
        };
        const track = (t: Taker): void => {
          for (const size of t.got.splice(0)) inFlight.push(size);
        };
        for (const t of takers) {
          t.run();
          track(t);
          check();
        }
        // Release in an order the picks choose, then whatever is left, until nothing is.
        const pick = [...picks];
        while (inFlight.length > 0) {
          const i = (pick.shift() ?? 0) % inFlight.length;
          const [size] = inFlight.splice(i, 1);
          budget.release(size!);
          for (const t of takers) track(t);
          check();
        }
        assert.equal(log.length, wants.flat().length, 'every response was written');
        assert.equal(budget.waiting, 0);
      },
    ));
  });
});

/** A call whose writes are taken by the transport only when the test says so. */
class HeldStream extends EventEmitter {
  written: { chunk: Buffer; done: () => void }[] = [];
  write(chunk: Buffer | ResponseBytes, done: () => void): boolean {
    this.written.push({ chunk: chunk instanceof ResponseBytes ? chunk.concat() : chunk, done });
    return true;
  }
  /** Lets the transport take every write so far. */
  flush(): void {
    for (const w of this.written.splice(0)) w.done();
  }
}

const PROXY: ProxyClass = { role: 'router', namespace: 'ns', labels: {}, ips: ['127.0.0.9'], interceptionMode: 'NONE', localAddress: '127.0.0.1', outboundAddress: '127.0.0.1' };

function world() {
  const telemetry = createTelemetry();
  const state = { set: { clusters: [], endpoints: [], listeners: [], routes: [] } as ResourceSet, generation: 1 };
  const views = new ViewCache(() => [{ name: 'all', key: () => '', build: () => state.set }], quiet);
  const metrics = new XdsMetrics(telemetry.meter, () => ({ sotw: 0, delta: 0 }));
  return {
    state,
    metrics,
    telemetry,
    view: () => {
      views.setSnapshot(fakeSnapshot(state.generation));
      return views.viewFor(PROXY);
    },
    update(set: Partial<ResourceSet>) {
      state.set = { ...state.set, ...set };
      state.generation++;
    },
  };
}

const decode = (type: string, buf: Buffer) => resourceTypes().lookupType(type).decode(buf) as unknown as Record<string, unknown>;

function timeouts(buf: Buffer): number[] {
  const resp = decode('envoy.service.discovery.v3.DiscoveryResponse', buf) as unknown as { resources: { value: Uint8Array }[] };
  const type = resourceTypes().lookupType('envoy.config.cluster.v3.Cluster');
  return resp.resources.map((r) => Number((type.decode(r.value) as unknown as { connect_timeout: { seconds: number } }).connect_timeout.seconds));
}

describe('in-flight budget on xDS streams', () => {
  it('a SotW stream waiting for the budget sends only the newest view, once', async () => {
    const w = world();
    w.update({ clusters: [cluster('c', { connect_timeout: '1s' })] });
    const budget = new InflightBudget(1);
    const node = (id: string) => ({ ...PROXY, id, workloadName: 'gw.ns', serviceAccount: 'default' });
    const [s1, s2] = [new HeldStream(), new HeldStream()];
    const c1 = new SotwConnection('1', node('p1'), s1, w.metrics, quiet, DEFAULT_XDS_LIMITS, budget);
    const c2 = new SotwConnection('2', node('p2'), s2, w.metrics, quiet, DEFAULT_XDS_LIMITS, budget);
    const ask = (c: SotwConnection) => c.onRequest({ type_url: TYPE_URLS.cluster, resource_names: [], response_nonce: '', version_info: '', node: null, error_detail: null, resource_locators: [] }, w.view());
    ask(c1);
    ask(c2);
    assert.equal(s1.written.length, 1, 'the first stream writes');
    assert.equal(s2.written.length, 0, 'the second waits: the budget is full');
    assert.equal(budget.waiting, 1);
    for (const seconds of [2, 3]) {
      w.update({ clusters: [cluster('c', { connect_timeout: `${seconds}s` })] });
      const view = w.view();
      for (const c of [c1, c2]) c.push({ view });
    }
    assert.equal(s2.written.length, 0, 'still waiting');
    w.metrics.observeInflight(budget);
    const { resourceMetrics } = await w.telemetry.exporter.collect();
    const text = new PrometheusSerializer('', false).serialize(resourceMetrics);
    assert.match(text, new RegExp(`^mast_xds_inflight_bytes(\\{[^}]*\\})? ${budget.bytes}$`, 'm'), 'the bytes in flight are on /metrics');
    assert.ok(budget.bytes > 0);
    assert.equal(budget.waiting, 2, 'the second stream, and the first for its newer view');
    assert.match(text, /^mast_xds_inflight_waiting_streams(\{[^}]*\})? 2$/m, 'and the streams waiting');
    s1.flush();
    assert.equal(s2.written.length, 1, 'its turn: one response');
    assert.deepEqual(timeouts(s2.written[0]!.chunk), [3], 'carrying the newest view; the superseded ones were never built');
    assert.equal(s1.written.length, 0, 'the first stream waits behind the second for its newer view');
    s2.flush();
    assert.equal(s1.written.length, 1);
    assert.deepEqual(timeouts(s1.written[0]!.chunk), [3], 'the first stream skips generation 2 too');
    s1.flush();
    assert.equal(budget.bytes, 0);
    await w.telemetry.shutdown();
  });

  it('delta responses keep their order (add bottom-up, remove top-down) when each waits for the budget', async () => {
    const w = world();
    w.update({ clusters: [cluster('a'), cluster('b')], endpoints: [endpoints('a', 80), endpoints('b', 80)], listeners: [listener('l', 80, 'r')], routes: [route('r', 'a')] });
    const budget = new InflightBudget(1);
    const stream = new HeldStream();
    const other = new HeldStream();
    const conn = new DeltaConnection('1', { ...PROXY, id: 'p', workloadName: 'gw.ns', serviceAccount: 'default' }, stream, w.metrics, quiet, DEFAULT_XDS_LIMITS, budget);
    const rival = new DeltaConnection('2', { ...PROXY, id: 'q', workloadName: 'gw.ns', serviceAccount: 'default' }, other, w.metrics, quiet, DEFAULT_XDS_LIMITS, budget);
    const order: string[] = [];
    const record = (s: HeldStream, who: string): void => {
      for (const { chunk } of s.written) {
        const r = decode('envoy.service.discovery.v3.DeltaDiscoveryResponse', chunk) as unknown as { type_url: string; resources: { name: string }[]; removed_resources: string[] };
        const short = r.type_url.split('.').at(-1);
        order.push(`${who} ${short} +${r.resources.map((x) => x.name).join(',')} -${r.removed_resources.join(',')}`);
      }
    };
    /** Lets every write through, one response at a time, until nothing is left. */
    const drain = (): void => {
      for (let more = true; more;) {
        more = false;
        for (const [s, who] of [[stream, 'p'], [other, 'q']] as const) {
          if (s.written.length === 0) continue;
          more = true;
          record(s, who);
          s.flush();
        }
      }
    };
    const req = (c: DeltaConnection, type: string, names: string[]) => c.onRequest({ type_url: type, resource_names_subscribe: names, resource_names_unsubscribe: [], initial_resource_versions: {}, response_nonce: '', node: null, error_detail: null, resource_locators: [] } as never, w.view());
    for (const c of [conn, rival]) {
      req(c, TYPE_URLS.cluster, ['*']);
      req(c, TYPE_URLS.endpoint, ['*']);
      req(c, TYPE_URLS.listener, ['*']);
      req(c, TYPE_URLS.route, ['r']);
    }
    drain();
    assert.equal(order.length, 8, 'both streams got CDS, EDS, LDS and RDS');
    order.length = 0;
    // b goes; a new cluster c and its endpoints come; the route moves from a to c.
    w.update({ clusters: [cluster('a'), cluster('c')], endpoints: [endpoints('a', 80), endpoints('c', 80)], routes: [route('r', 'c')] });
    const view = w.view();
    conn.push({ view });
    rival.push({ view });
    drain();
    const mine = order.filter((o) => o.startsWith('p ')).map((o) => o.slice(2));
    assert.deepEqual(mine, ['Cluster +c -', 'ClusterLoadAssignment +c -', 'RouteConfiguration +r -', 'Cluster + -b', 'ClusterLoadAssignment + -b'], 'the same order as without a budget');
    const who = order.map((o) => o[0]);
    assert.ok(who.indexOf('q') < who.lastIndexOf('p'), 'the two streams took turns');
    assert.equal(budget.bytes, 0);
    await w.telemetry.shutdown();
  });

  it('a closed stream gives back what it had in flight and leaves the queue', async () => {
    const w = world();
    w.update({ clusters: [cluster('c')] });
    const budget = new InflightBudget(1);
    const s1 = new HeldStream();
    const s2 = new HeldStream();
    const conns: Connection[] = [s1, s2].map((s, i) => new SotwConnection(`${i}`, { ...PROXY, id: `p${i}`, workloadName: 'gw.ns', serviceAccount: 'default' }, s, w.metrics, quiet, DEFAULT_XDS_LIMITS, budget));
    for (const c of conns) (c as SotwConnection).onRequest({ type_url: TYPE_URLS.cluster, resource_names: [], response_nonce: '', version_info: '', node: null, error_detail: null, resource_locators: [] }, w.view());
    assert.equal(s2.written.length, 0);
    conns[0]!.close();
    assert.equal(s2.written.length, 1, 'the closed stream released its bytes; the waiting one writes');
    s1.flush();
    assert.ok(budget.bytes > 0, 'a late callback of the closed stream does not release twice');
    s2.flush();
    assert.equal(budget.bytes, 0);
    await w.telemetry.shutdown();
  });
});
