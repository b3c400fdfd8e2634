// What one endpoint change costs Mast, in process and without gRPC: the model's rebuild of the
// snapshot, then the view cache's rebuild of what the change touched, for every proxy, and the
// work each stream does on top (a delta stream's names to look at, a SotW stream's EDS list).
// Load clients, sockets and encoding per stream are left out, so what grows with the mesh shows.
//
//   node --import tsx bench/change-cost.ts [--services 100,1000,10000] [--proxies 100] [--changes 20]
//     [--change endpoints,virtualservice]
//
// The mesh is bench/mesh-gen.ts's, one source per service file as file mode reads it; the proxies
// are one deployment's sidecars (as bench/xds-load.ts's), distinct IPs, so they share every piece
// but their inbound one. An `endpoints` change gives one service's EndpointSlice new addresses (a
// service without Pods, as xds-load.ts changes); a `virtualservice` change moves the 80/20 split
// of one service's VirtualService. Figures are process CPU (user+system) per change, split at the
// snapshot.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { ConfigStore, parseDocuments, type RawObject } from '../src/model';
import { partsFor } from '../src/translate';
import { TYPE_URLS, type ProxyClass } from '../src/translate/types';
import { ViewCache, type ProxyView } from '../src/xds/cache';
import { namesChangedSince, partsOf } from '../src/xds/part-diff';
import { wholeList } from '../src/xds/sotw-lists';
import { fileName, hasTrafficPolicy, serviceDocuments } from './mesh-gen';
import { machine } from './lib/machine';

const quiet = { error: () => {} };

function parsed(i: number, docs: object[]): RawObject[] {
  const out = parseDocuments(docs.map((d) => stringify(d)).join('---\n'), fileName(i));
  if (out.diagnostics.length) throw new Error(`service ${i}: ${out.diagnostics.length} findings`);
  return out.objects;
}

const raws = (i: number, ips?: string[]): RawObject[] => parsed(i, serviceDocuments(i, ips));

function sidecar(k: number): ProxyClass {
  return { role: 'sidecar', namespace: 'default', labels: { app: 'bench' }, ips: [`10.1.${k >> 8}.${k & 255}`], interceptionMode: 'NONE', localAddress: '127.0.0.1', outboundAddress: '127.0.0.1' };
}

const cpuMs = (from: NodeJS.CpuUsage): number => {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
};

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

interface Row {
  change: Change;
  services: number;
  proxies: number;
  changes: number;
  /** Per change, ms of CPU: the model's snapshot rebuild, the view cache for every proxy, the streams' share. */
  modelMs: number;
  viewsMs: number;
  streamsMs: number;
  totalMs: number;
  /** Medians, ms of CPU per change. */
  viewsMedianMs: number;
  /** Resources of the changed type a delta stream is told to look at, per change (-1: a full comparison). */
  deltaNames: number;
}

type Change = 'endpoints' | 'virtualservice';

/** Change `c` (from -2, the warm-ups): a different service each time, its file's objects after the change. */
function changeOf(change: Change, c: number, services: number): { i: number; objects: RawObject[] } {
  const step = (c + 2) * 7919;
  if (change === 'endpoints') {
    // A service without Pods, at addresses no other service has had: a Pod behind them would tie
    // other services' endpoints in.
    const i = hasTrafficPolicy(step % services) ? (step + 1) % services : step % services;
    return { i, objects: raws(i, [0, 1, 2].map((k) => `10.99.${c + 2}.${k}`)) };
  }
  const i = (step % Math.floor(services / 10)) * 10;
  const docs = serviceDocuments(i);
  const vs = docs.find((d) => (d as { kind: string }).kind === 'VirtualService') as { spec: { http: { route: { weight: number }[] }[] } };
  const [a, b] = vs.spec.http[0]!.route;
  a!.weight = 50 + ((c + 2) % 40);
  b!.weight = 100 - a!.weight;
  return { i, objects: parsed(i, docs) };
}

function measure(services: number, proxies: number, changes: number, kind: Change): Row {
  const store = new ConfigStore();
  for (let i = 0; i < services; i++) store.replaceSource(fileName(i), raws(i));
  const views = new ViewCache((p) => partsFor(p.role), quiet);
  const fleet = Array.from({ length: proxies }, (_, k) => sidecar(k));
  views.setSnapshot(store.snapshot());
  let held: ProxyView[] = fleet.map((p) => views.viewFor(p));
  // The type the change is sent as: EDS for endpoints, RDS for a VirtualService.
  const typeUrl = kind === 'endpoints' ? TYPE_URLS.endpoint : TYPE_URLS.route;
  const eds = (v: ProxyView) => v.resources.get(typeUrl)!;
  const totals = { model: 0, views: 0, streams: 0 };
  const viewSamples: number[] = [];
  let names = 0;
  // Two warm-up changes, then the measured ones; a different service each time.
  for (let c = -2; c < changes; c++) {
    const { i, objects } = changeOf(kind, c, services);
    const t0 = process.cpuUsage();
    store.replaceSource(fileName(i), objects);
    const snapshot = store.snapshot();
    const model = cpuMs(t0);
    const t1 = process.cpuUsage();
    views.setSnapshot(snapshot);
    const next = fleet.map((p) => views.viewFor(p));
    const view = cpuMs(t1);
    const t2 = process.cpuUsage();
    let told = 0;
    for (let k = 0; k < proxies; k++) {
      // What each stream does with its new view: a delta stream's names, a SotW stream's list.
      told = namesChangedSince(partsOf(eds(held[k]!)), eds(next[k]!))?.size ?? -1;
      wholeList(eds(next[k]!));
    }
    const streams = cpuMs(t2);
    held = next;
    if (c < 0) continue;
    totals.model += model;
    totals.views += view;
    totals.streams += streams;
    viewSamples.push(view);
    names += told;
  }
  const per = (ms: number) => Math.round((ms / changes) * 100) / 100;
  return {
    change: kind,
    services,
    proxies,
    changes,
    modelMs: per(totals.model),
    viewsMs: per(totals.views),
    streamsMs: per(totals.streams),
    totalMs: per(totals.model + totals.views + totals.streams),
    viewsMedianMs: Math.round(median(viewSamples) * 100) / 100,
    deltaNames: names / changes,
  };
}

const { values } = parseArgs({
  options: { change: { type: 'string', default: 'endpoints' }, services: { type: 'string', default: '100,1000,10000' }, proxies: { type: 'string', default: '100' }, changes: { type: 'string', default: '20' }, out: { type: 'string' } },
});
const rows: Row[] = [];
for (const change of values.change.split(',') as Change[]) {
  for (const n of values.services.split(',').map(Number)) {
    const row = measure(n, Number(values.proxies), Number(values.changes), change);
    rows.push(row);
    console.log(JSON.stringify(row));
  }
}
const out = values.out ?? path.join(__dirname, 'results', `change-cost-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({ machine: machine(), rows }, null, 2));
console.log(`wrote ${out}`);
