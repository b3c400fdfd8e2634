// A delta stream keeps what its client holds as a shared view plus its own differences
// (delta-known.ts). Checked against a reference model that keeps a plain Map per stream and compares
// every name on every sync, the rules of delta.ts before the sharing: through random view changes
// (names moving between parts, part diffs followed or not, pushes skipped), subscribe and
// unsubscribe (named and '*', ACKs and NACKs) and reconnects with initial_resource_versions, every
// response must name the same resources at the same versions, and remove the same names, as the
// model's, and the client must then hold exactly the view in its scope.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { Writer } from 'protobufjs';
import { TYPE_URLS, type ProxyClass } from '../../src/translate/types';
import { resourceTypes } from '../../src/envoy-api/protos';
import { CompositeMap } from '../../src/xds/composite-map';
import { DeltaConnection } from '../../src/xds/delta';
import { DEFAULT_XDS_LIMITS } from '../../src/xds/limits';
import { XdsMetrics } from '../../src/xds/metrics';
import { PartMap } from '../../src/xds/part-diff';
import type { ProxyView } from '../../src/xds/cache';
import { ResponseBytes, type EncodedResource } from '../../src/xds/wire';
import { createTelemetry } from '../../src/telemetry/metrics';
import { quiet } from './fake-world';

const CDS = TYPE_URLS.cluster;
const NAMES = Array.from({ length: 8 }, (_, i) => `n${i}`);
const PROXY: ProxyClass = { role: 'router', namespace: 'ns', labels: {}, ips: ['127.0.0.9'], interceptionMode: 'NONE', localAddress: '127.0.0.1', outboundAddress: '127.0.0.1' };
const ANY = Writer.create().uint32((1 << 3) | 2).string(CDS).finish();

/** One object per name and version, as the view cache interns equal content. */
const interned = new Map<string, EncodedResource>();
const resource = (name: string, v: number): EncodedResource => {
  const key = `${name}@${v}`;
  let r = interned.get(key);
  if (!r) interned.set(key, (r = { name, version: `v${v}`, any: ANY }));
  return r;
};

type Response = { updated: string[]; removed: string[] };
type Request = { sub: string[]; unsub: string[]; initial?: Record<string, string> };

/** The stream's rules with a plain Map of what the client holds and a full comparison per sync. */
class Reference {
  wildcard = false;
  subscribed = new Set<string>();
  known = new Map<string, string>();
  forced = new Set<string>();
  answered = false;
  private started = false;

  private inScope(name: string): boolean {
    return this.wildcard || this.subscribed.has(name);
  }

  /** Applies a request; the responses it makes when it asks for a sync to `view`. */
  request(req: Request, view: ReadonlyMap<string, EncodedResource>): Response[] {
    const first = !this.started;
    if (first) {
      this.started = true;
      for (const [n, v] of Object.entries(req.initial ?? {})) this.known.set(n, v);
      if (req.sub.length === 0) this.wildcard = true;
    }
    for (const n of req.sub) {
      if (n === '*') this.wildcard = true;
      else {
        this.subscribed.add(n);
        if (!(n in (req.initial ?? {}))) this.forced.add(n);
      }
    }
    for (const n of req.unsub) {
      if (n === '*') this.wildcard = false;
      else this.subscribed.delete(n);
    }
    for (const n of req.unsub) {
      const still = n === '*' ? [...this.known.keys()].filter((k) => this.subscribed.has(k)) : this.inScope(n) ? [n] : [];
      for (const k of still) this.forced.add(k);
      const dropped = n === '*' ? [...this.known.keys()].filter((k) => !this.inScope(k)) : this.inScope(n) ? [] : [n];
      for (const k of dropped) this.known.delete(k);
    }
    return first || req.sub.length > 0 || req.unsub.length > 0 ? this.sync(view) : [];
  }

  sync(view: ReadonlyMap<string, EncodedResource>): Response[] {
    const out: Response[] = [];
    const updated = [...view.values()].filter((r) => this.inScope(r.name) && (this.known.get(r.name) !== r.version || this.forced.has(r.name)));
    if (updated.length > 0 || (!this.answered && this.wildcard)) {
      out.push({ updated: updated.map((r) => `${r.name}@${r.version}`).sort(), removed: [] });
      for (const r of updated) {
        this.known.set(r.name, r.version);
        this.forced.delete(r.name);
      }
      this.answered = true;
    }
    const removed = [...this.known.keys()].filter((n) => !view.has(n) && this.inScope(n)).sort();
    if (removed.length > 0) {
      out.push({ updated: [], removed });
      this.answered = true;
    }
    for (const n of removed) this.known.delete(n);
    return out;
  }
}

const decode = (buf: Buffer) =>
  resourceTypes().lookupType('envoy.service.discovery.v3.DeltaDiscoveryResponse').decode(buf) as unknown as { nonce: string; resources: { name: string; version: string }[]; removed_resources: string[] };

const step = fc.oneof(
  fc.record({ kind: fc.constant('change' as const), where: fc.array(fc.nat(3), { minLength: 8, maxLength: 8 }), versions: fc.array(fc.nat(2), { minLength: 8, maxLength: 8 }), follow: fc.boolean(), push: fc.boolean() }),
  fc.record({ kind: fc.constant('request' as const), sub: fc.subarray(['*', ...NAMES, 'ghost']), unsub: fc.subarray(['*', ...NAMES, 'ghost']), answer: fc.constantFrom('none', 'ack', 'nack') }),
  fc.record({ kind: fc.constant('reconnect' as const), wildcard: fc.boolean(), stale: fc.subarray(NAMES), ghost: fc.boolean() }),
);

describe('delta stream state shared with the view', () => {
  const telemetry = createTelemetry();
  const metrics = new XdsMetrics(telemetry.meter, () => ({ sotw: 0, delta: 0 }));
  after(() => telemetry.shutdown());

  it('answers every request and push as the per-stream Map did, and the client holds the view in scope', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 40 }), (steps) => {
        let parts: PartMap[] = [new PartMap(), new PartMap(), new PartMap()];
        let generation = 1;
        const viewOf = (): ProxyView => {
          const maps = parts.filter((p) => p.size > 0);
          const cds = maps.length === 1 ? maps[0]! : new CompositeMap(maps);
          return { generation, resources: new Map([[CDS, cds]]), json: () => ({ clusters: [], endpoints: [], listeners: [], routes: [] }) };
        };
        let view = viewOf();
        const written: Buffer[] = [];
        const stream = { write: (chunk: Buffer | ResponseBytes, done: () => void) => (written.push(chunk instanceof ResponseBytes ? chunk.concat() : chunk), done(), true), once: () => undefined };
        let seq = 0;
        const connect = () => new DeltaConnection(String(++seq), { ...PROXY, id: 'p', workloadName: 'gw.ns', serviceAccount: 'default' }, stream, metrics, quiet, DEFAULT_XDS_LIMITS);
        let conn = connect();
        let ref = new Reference();
        /** What the client holds, from the responses it was sent. */
        let held = new Map<string, string>();
        let lastNonce = '';
        const responses = (): Response[] =>
          written.splice(0).map((buf) => {
            const r = decode(buf);
            lastNonce = r.nonce;
            for (const x of r.resources) held.set(x.name, x.version);
            for (const n of r.removed_resources) held.delete(n);
            return { updated: r.resources.map((x) => `${x.name}@${x.version}`).sort(), removed: [...r.removed_resources].sort() };
          });
        const send = (req: Request, answer = 'none'): void => {
          const expected = ref.request(req, view.resources.get(CDS)!);
          conn.onRequest({ type_url: CDS, resource_names_subscribe: req.sub, resource_names_unsubscribe: req.unsub, initial_resource_versions: req.initial ?? {}, response_nonce: answer === 'none' ? '' : lastNonce, node: null, error_detail: answer === 'nack' ? { code: 3, message: 'no', details: [] } : null, resource_locators: [] } as never, view);
          // The client drops what leaves its scope, as the stream does.
          for (const n of [...held.keys()]) if (!ref.known.has(n)) held.delete(n);
          assert.deepEqual(responses(), expected);
        };
        send({ sub: ['*'], unsub: [] });
        let current = true;
        for (const s of steps) {
          if (s.kind === 'change') {
            const next = parts.map(() => new PartMap());
            NAMES.forEach((n, i) => {
              if (s.where[i]! < 3) next[s.where[i]!]!.set(n, resource(n, s.versions[i]!));
            });
            if (s.follow) next.forEach((p, i) => p.follow(parts[i]!));
            parts = next;
            generation++;
            view = viewOf();
            current = s.push;
            if (!s.push) continue;
            const expected = ref.sync(view.resources.get(CDS)!);
            conn.push({ view });
            assert.deepEqual(responses(), expected);
          } else if (s.kind === 'request') {
            send({ sub: s.sub, unsub: s.unsub }, lastNonce ? s.answer : 'none');
            if (s.sub.length > 0 || s.unsub.length > 0) current = true;
            if (s.answer === 'nack' && lastNonce) assert.ok(conn.status().types[0]!.lastNack, 'the NACK is recorded');
          } else {
            conn.close();
            const initial = Object.fromEntries(held);
            for (const n of s.stale) if (n in initial) initial[n] = 'stale';
            if (s.ghost) initial['ghost'] = 'v0';
            const sub = [...(s.wildcard ? ['*'] : []), ...ref.subscribed];
            conn = connect();
            ref = new Reference();
            held = new Map(Object.entries(initial));
            send({ sub, unsub: [], initial });
            current = true;
          }
          const st = conn.status().types[0]!;
          assert.equal(st.sentCount, ref.known.size, 'the stream counts the names the client holds');
          assert.deepEqual(new Set(st.subscribed), ref.subscribed);
          assert.deepEqual(Object.fromEntries([...held].sort()), Object.fromEntries([...ref.known].sort()));
          if (!current) continue;
          const inScope = (n: string) => ref.wildcard || ref.subscribed.has(n);
          const expectedHeld = [...view.resources.get(CDS)!.values()].filter((r) => inScope(r.name)).map((r) => `${r.name}@${r.version}`).sort();
          assert.deepEqual([...held].filter(([n]) => inScope(n)).map(([n, v]) => `${n}@${v}`).sort(), expectedHeld);
        }
        conn.close();
      }),
      { numRuns: 300, includeErrorInReport: true },
    );
  });
});
