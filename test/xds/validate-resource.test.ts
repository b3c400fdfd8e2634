// Unit tests of src/xds/validate's entry point: proto rules and load checks in one walk, and the
// time a 1000-virtual-host route table and 1000 clusters take.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAST_LIMITS, validateResource } from '../../src/xds/validate';
import { goldenResources, RC, routeTable, vh } from '../support/validate-fixtures';

describe('validateResource', () => {
  it('runs the proto rules and the load checks in one walk', () => {
    const list = validateResource(`type.googleapis.com/${RC}`, routeTable([vh('', ['x']), vh('b', ['x'], [{ match: { prefix: '/' }, route: { cluster: 'c', timeout: '-1s' } }])]), MAST_LIMITS);
    assert.deepEqual(list.map((v) => v.rule).sort(), ['duration.positive', 'route.domain_unique', 'string.min_len']);
  });

  it('validates a 1000-virtual-host route table and 1000 clusters quickly', (t) => {
    const golden = goldenResources();
    const table = golden.find((g) => g.type === RC && Array.isArray(g.json.virtual_hosts) && (g.json.virtual_hosts as unknown[]).length > 0)?.json as Record<string, unknown>;
    const host = (table.virtual_hosts as Record<string, unknown>[])[0] as Record<string, unknown>;
    const big = { ...table, virtual_hosts: Array.from({ length: 1000 }, (_, i) => ({ ...host, name: `h${i}`, domains: (host.domains as string[]).map((d) => `h${i}-${d}`) })) };
    const cluster = golden.find((g) => g.type === 'envoy.config.cluster.v3.Cluster' && g.json.type === 'EDS')?.json as Record<string, unknown>;
    const clusters = Array.from({ length: 1000 }, (_, i) => ({ ...cluster, name: `c${i}` }));
    const time = (f: () => number) => {
      const start = process.hrtime.bigint();
      const n = f();
      return { ms: Number(process.hrtime.bigint() - start) / 1e6, n };
    };
    const runs = Array.from({ length: 5 }, () => [
      time(() => validateResource(`type.googleapis.com/${RC}`, big, MAST_LIMITS).length),
      time(() => clusters.reduce((n, c) => n + validateResource('type.googleapis.com/envoy.config.cluster.v3.Cluster', c, MAST_LIMITS).length, 0)),
    ]);
    for (const [r, c] of runs) {
      assert.equal(r?.n, 0);
      assert.equal(c?.n, 0);
    }
    const best = (i: number) => Math.min(...runs.map((r) => r[i]?.ms ?? Infinity));
    t.diagnostic(`1000-virtual-host RouteConfiguration (${JSON.stringify(big).length} bytes): first ${runs[0]?.[0]?.ms.toFixed(1)} ms, best ${best(0).toFixed(1)} ms; 1000 clusters: best ${best(1).toFixed(1)} ms`);
    assert.ok(best(0) < 100, `route table took ${best(0)} ms`);
  });
});
