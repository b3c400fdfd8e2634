// The store builds each snapshot from the last one and the objects written since (store.ts
// rebuild). Whatever the history of adds, updates and deletes, in files or as informer events,
// one at a time or several in a tick, the snapshot and its findings must be those a store built
// from the same objects at once gives: same objects in the same order, same lookups, same findings.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ConfigStore, type Snapshot } from '../../src/model';
import { destinationRule, pod, service, virtualService, type Raw } from './fixtures';

const STAMPS = ['2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z', '2026-01-03T00:00:00Z'];
const IPS = ['10.1.0.1', '10.1.0.2', '10.1.0.3'];
const HOSTS = [0, 1, 2].map((k) => `svc-${k}.default.svc.cluster.local`);

const stamped = (raw: Raw, stamp: number): Raw => ({ ...raw, metadata: { ...(raw.metadata as Raw), creationTimestamp: STAMPS[stamp] } });

// Objects drawn from a small universe of names, so that writes often land on the same object and
// objects often meet: shared clusterIPs (MAST2105), two VirtualServices for a host (MAST3002),
// subsets no rule defines (MAST3001), slices naming Pods by name and by address.
const serviceArb = fc.record({ k: fc.nat(2), ip: fc.constantFrom('10.0.0.1', '10.0.0.2', undefined), stamp: fc.nat(2) }).map(({ k, ip, stamp }) => {
  const raw = service(`svc-${k}`);
  return stamped(ip ? { ...raw, spec: { ...(raw.spec as Raw), clusterIP: ip } } : raw, stamp);
});
const sliceArb = fc.record({ n: fc.nat(3), k: fc.nat(2), ips: fc.subarray(IPS, { minLength: 1 }), podRef: fc.option(fc.nat(2)), port: fc.constantFrom(9080, 9081) }).map(({ n, k, ips, podRef, port }) => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name: `slice-${n}`, namespace: 'default', labels: { 'kubernetes.io/service-name': `svc-${k}` } },
  addressType: 'IPv4',
  ports: [{ name: 'http', port, protocol: 'TCP' }],
  endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true }, ...(podRef === null ? {} : { targetRef: { kind: 'Pod', name: `pod-${podRef}`, namespace: 'default' } }) })),
}));
const podArb = fc.record({ n: fc.nat(2), ip: fc.constantFrom(...IPS), k: fc.nat(2), version: fc.constantFrom('v1', 'v2') }).map(({ n, ip, k, version }) => pod(`pod-${n}`, ip, { app: `svc-${k}`, version }));
const ruleArb = fc.record({ n: fc.nat(2), k: fc.nat(2), subsets: fc.subarray(['v1', 'v2']) }).map(({ n, k, subsets }) => destinationRule(`dr-${n}`, `svc-${k}`, subsets));
const routeArb = fc.record({ n: fc.nat(2), k: fc.nat(2), subset: fc.constantFrom('v1', 'v2', 'v3'), stamp: fc.nat(2) }).map(({ n, k, subset, stamp }) => stamped(virtualService(`vs-${n}`, `svc-${k}`, { [subset]: undefined }), stamp));
// Never valid, so no history of a last good version (which a store built at once cannot have) is involved.
const invalidArb = fc.nat(1).map((n) => virtualService(`bad-${n}`, 'svc-0', { v1: 0, v2: 0 }));
const objectArb = fc.oneof(serviceArb, sliceArb, sliceArb, podArb, ruleArb, routeArb, invalidArb);

const keyOf = (raw: Raw): string => {
  const meta = raw.metadata as { name: string; namespace: string };
  return `${raw.kind as string}/${meta.namespace}/${meta.name}`;
};

type Op =
  | { kind: 'put'; file: number; raw: Raw }
  | { kind: 'drop'; file: number; pick: number }
  | { kind: 'copy'; file: number; pick: number }
  | { kind: 'nameless'; file: number }
  | { kind: 'upsert'; raw: Raw }
  | { kind: 'remove'; pick: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('put' as const), file: fc.nat(2), raw: objectArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('drop' as const), file: fc.nat(2), pick: fc.nat(20) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('copy' as const), file: fc.nat(2), pick: fc.nat(20) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('nameless' as const), file: fc.nat(2) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('upsert' as const), raw: objectArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), pick: fc.nat(20) }) },
);

/** The sources as written so far: files (each a list of documents, rank = index + 1) and the informer's objects (rank 0). */
class World {
  readonly files: Raw[][] = [[], [], []];
  readonly events = new Map<string, Raw>();

  /** Source order, as the store decides between two definitions: the informer, then the files. */
  private holders(key: string): number[] {
    return [...(this.events.has(key) ? [0] : []), ...this.files.flatMap((docs, i) => (docs.some((d) => d.metadata && keyOf(d) === key) ? [i + 1] : []))];
  }

  /**
   * Whether source `order` may start defining `key`: only after the first of its current holders.
   * The store keeps serving the definition it serves, where a store built at once takes the first
   * source's; with this rule the two agree, and duplicates are still written and reported.
   */
  mayAdd(key: string, order: number): boolean {
    const held = this.holders(key);
    return held.includes(order) || held.every((h) => h < order);
  }

  /** Applies `op` to the world and `store`; false when the op is skipped. */
  apply(op: Op, store: ConfigStore): boolean {
    if (op.kind === 'put' || op.kind === 'copy' || op.kind === 'nameless') {
      const docs = this.files[op.file]!;
      if (op.kind === 'put') {
        if (!this.mayAdd(keyOf(op.raw), op.file + 1)) return false;
        const at = docs.findIndex((d) => d.metadata && keyOf(d) === keyOf(op.raw));
        if (at >= 0) docs[at] = op.raw;
        else docs.push(op.raw);
      } else if (op.kind === 'copy') {
        const named = docs.filter((d) => d.metadata);
        if (!named.length) return false;
        docs.push(named[op.pick % named.length]!);
      } else docs.push({ apiVersion: 'v1', kind: 'Service', spec: {} });
      this.write(store, op.file);
    } else if (op.kind === 'drop') {
      const docs = this.files[op.file]!;
      if (!docs.length) return false;
      docs.splice(op.pick % docs.length, 1);
      this.write(store, op.file);
    } else if (op.kind === 'upsert') {
      if (!this.mayAdd(keyOf(op.raw), 0)) return false;
      this.events.set(keyOf(op.raw), op.raw);
      store.upsert('k8s', op.raw, { apiPath: keyOf(op.raw) });
    } else {
      const keys = [...this.events.keys()];
      if (!keys.length) return false;
      const key = keys[op.pick % keys.length]!;
      this.events.delete(key);
      const [kind, namespace, name] = key.split('/') as [string, string, string];
      store.remove('k8s', { kind: kind as 'Service', namespace, name });
    }
    return true;
  }

  private write(store: ConfigStore, i: number): void {
    const file = `f${i}.yaml`;
    store.replaceSource(file, this.files[i]!.map((raw, doc) => ({ raw, origin: { file, doc } })), [], i + 1);
  }

  /** A store given every source at once: a full rebuild. */
  atOnce(): ConfigStore {
    const store = new ConfigStore();
    this.files.forEach((_, i) => this.write(store, i));
    for (const [key, raw] of this.events) store.upsert('k8s', raw, { apiPath: key });
    return store;
  }
}

/** What a translator can read of `s`, as plain data. */
function reading(s: Snapshot): unknown {
  const services = s.services();
  return {
    services,
    pods: s.pods(),
    virtualServices: s.virtualServices(),
    destinationRules: s.destinationRules(),
    selectors: s.sourceLabelSelectors(),
    byHost: HOSTS.map((h) => s.serviceByHost(h)),
    byIp: IPS.map((ip) => s.podByIp(ip)),
    endpoints: services.map((svc) => svc.ports.map((p) => s.endpoints(svc, p))),
    rules: HOSTS.flatMap((h) => ['default', 'other'].map((ns) => s.destinationRuleFor(h, ns, { version: 'v1' }))),
    selecting: [0, 1, 2].map((k) => s.servicesSelecting('default', { app: `svc-${k}`, version: 'v1' })),
    slices: [0, 1, 2, 3].map((n) => s.object({ kind: 'EndpointSlice', namespace: 'default', name: `slice-${n}` })),
  };
}

test('random adds, updates and deletes: each snapshot and its findings equal a build from the same objects at once', () => {
  fc.assert(
    fc.property(fc.array(fc.array(opArb, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 25 }), (ticks) => {
      const store = new ConfigStore();
      const world = new World();
      let last = JSON.stringify(reading(store.snapshot()));
      let generation = store.generation;
      for (const tick of ticks) {
        // The ops of a tick are written together and rebuilt once, as a burst of file events is.
        for (const op of tick) world.apply(op, store);
        const read = reading(store.snapshot());
        const full = world.atOnce();
        assert.deepStrictEqual(read, reading(full.snapshot()));
        assert.deepStrictEqual(store.diagnostics(), full.diagnostics());
        // The generation moves when, and only when, what can be read changed.
        const now = JSON.stringify(read);
        assert.equal(store.generation !== generation, now !== last, `generation ${generation} -> ${store.generation}`);
        [last, generation] = [now, store.generation];
      }
    }),
    { numRuns: 150 },
  );
});

test('the findings it checks for come up: duplicates, clusterIP and subset conflicts, invalid and nameless objects', () => {
  // The property above compares findings; this shows the universe produces the codes it is about.
  const store = new ConfigStore();
  const world = new World();
  const ops: Op[] = [
    { kind: 'put', file: 0, raw: stamped({ ...service('svc-0'), spec: { selector: { app: 'svc-0' }, ports: [{ name: 'http', port: 9080 }], clusterIP: '10.0.0.1' } }, 0) },
    { kind: 'put', file: 0, raw: stamped({ ...service('svc-1'), spec: { selector: { app: 'svc-1' }, ports: [{ name: 'http', port: 9080 }], clusterIP: '10.0.0.1' } }, 1) },
    { kind: 'put', file: 1, raw: stamped(virtualService('vs-0', 'svc-0', { v3: undefined }), 0) },
    { kind: 'put', file: 1, raw: stamped(virtualService('vs-1', 'svc-0', { v1: undefined }), 1) },
    { kind: 'put', file: 1, raw: virtualService('bad-0', 'svc-0', { v1: 0, v2: 0 }) },
    { kind: 'nameless', file: 2 },
    { kind: 'copy', file: 1, pick: 0 },
    { kind: 'upsert', raw: destinationRule('dr-0', 'svc-0', ['v1']) },
    { kind: 'put', file: 2, raw: destinationRule('dr-0', 'svc-0', ['v2']) },
  ];
  for (const op of ops) assert.ok(world.apply(op, store));
  const codes = new Set(store.diagnostics().map((d) => d.code));
  for (const code of ['MAST1010', 'MAST2105', 'MAST3001', 'MAST3002', 'MAST2001']) assert.ok(codes.has(code), `${code} in ${[...codes]}`);
  assert.deepStrictEqual(store.diagnostics(), world.atOnce().diagnostics());
});
