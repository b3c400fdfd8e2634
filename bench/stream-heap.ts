// What each synced xDS stream keeps on Mast's JS heap, in process and without gRPC: one
// deployment's sidecars on bench/mesh-gen.ts's mesh, each a stream asking as Envoy does (CDS and
// LDS wildcard, EDS for every cluster with endpoints, RDS for every route config) and ACKing every
// response, its writes taken at once. The heap after a full GC is read at each client count, so
// the slope between counts is the retained heap per added synced stream: the stream's own state
// and its view's (a view per proxy, parts shared). Load clients and grpc-js buffers are left out.
// The CPU each batch of streams took to sync is given beside it.
//
//   node --expose-gc --import tsx bench/stream-heap.ts [--services 1000] [--proxies 100,400]
//     [--transport delta,sotw]
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { ConfigStore, parseDocuments } from '../src/model';
import { resourceTypes } from '../src/envoy-api/protos';
import { partsFor } from '../src/translate';
import { TYPE_URLS, type Proxy } from '../src/translate/types';
import { createTelemetry } from '../src/telemetry/metrics';
import { ViewCache, type ProxyView } from '../src/xds/cache';
import type { Connection } from '../src/xds/connection';
import { DeltaConnection } from '../src/xds/delta';
import { XdsMetrics } from '../src/xds/metrics';
import { SotwConnection } from '../src/xds/sotw';
import type { TypeUrl } from '../src/xds/types';
import { fileName, serviceDocuments } from './mesh-gen';
import { machine } from './lib/machine';

const quiet = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} };
const { values } = parseArgs({ options: { services: { type: 'string', default: '1000' }, proxies: { type: 'string', default: '100,400' }, transport: { type: 'string', default: 'delta,sotw' } } });
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const services = Number(values.services);
const counts = values.proxies.split(',').map(Number).sort((a, b) => a - b);
const store = new ConfigStore();
for (let i = 0; i < services; i++) {
  const out = parseDocuments(serviceDocuments(i).map((d) => stringify(d)).join('---\n'), fileName(i));
  store.replaceSource(fileName(i), out.objects);
}
const views = new ViewCache((p) => partsFor(p.role), quiet);
views.setSnapshot(store.snapshot());
const telemetry = createTelemetry();
const metrics = new XdsMetrics(telemetry.meter, () => ({ sotw: 0, delta: 0 }));

function sidecar(k: number): Proxy {
  const ip = `10.1.${k >> 8}.${k & 255}`;
  return { id: `sidecar~${ip}~bench-${k}.default~default.svc.cluster.local`, workloadName: `bench-${k}.default`, serviceAccount: 'default', role: 'sidecar', namespace: 'default', labels: { app: 'bench' }, ips: [ip], interceptionMode: 'NONE', localAddress: '127.0.0.1', outboundAddress: '127.0.0.1' };
}

const DELTA = resourceTypes().lookupType('envoy.service.discovery.v3.DeltaDiscoveryResponse');
const SOTW = resourceTypes().lookupType('envoy.service.discovery.v3.DiscoveryResponse');
const blank = { node: null, error_detail: null, resource_locators: [] };

/** What a stream writes: a Buffer, or pieces that copy themselves as Buffer.copy does. */
type Chunk = { byteLength: number; copy(target: Uint8Array, offset?: number): number };

/** A call that takes every write at once, made apart so that it holds nothing but `answers`. */
function sink(answers: Buffer[]) {
  const bytes = (chunk: Chunk): Buffer => {
    const b = Buffer.alloc(chunk.byteLength);
    chunk.copy(b, 0);
    return b;
  };
  return { write: (chunk: Chunk, done: () => void) => (answers.push(bytes(chunk)), done(), true), once: () => undefined };
}

/** A stream brought to sync as bench/lib/sidecar.ts asks, every response ACKed as it is written. */
function connect(transport: string, k: number): Connection {
  const proxy = sidecar(k);
  const view: ProxyView = views.viewFor(proxy);
  const names = (typeUrl: TypeUrl) => [...(view.resources.get(typeUrl)?.keys() ?? [])];
  const eds = names(TYPE_URLS.cluster).filter((n) => view.resources.get(TYPE_URLS.endpoint)?.has(n));
  const asks: [TypeUrl, string[]][] = [[TYPE_URLS.cluster, []], [TYPE_URLS.endpoint, eds], [TYPE_URLS.listener, []], [TYPE_URLS.route, names(TYPE_URLS.route)]];
  const answers: Buffer[] = [];
  const call = sink(answers);
  const conn = transport === 'delta' ? new DeltaConnection(String(k), proxy, call, metrics, quiet) : new SotwConnection(String(k), proxy, call, metrics, quiet);
  const ack = (): void => {
    for (const chunk of answers.splice(0)) {
      const r = (transport === 'delta' ? DELTA : SOTW).decode(chunk) as unknown as { type_url: string; nonce: string; version_info?: string };
      if (conn instanceof DeltaConnection) conn.onRequest({ ...blank, type_url: r.type_url, response_nonce: r.nonce, resource_names_subscribe: [], resource_names_unsubscribe: [], initial_resource_versions: {} } as never, view);
      else (conn as SotwConnection).onRequest({ ...blank, type_url: r.type_url, response_nonce: r.nonce, version_info: r.version_info ?? '', resource_names: asks.find(([t]) => t === r.type_url)?.[1] ?? [] } as never, view);
    }
  };
  for (const [typeUrl, list] of asks) {
    if (conn instanceof DeltaConnection) conn.onRequest({ ...blank, type_url: typeUrl, response_nonce: '', resource_names_subscribe: list.length ? list : ['*'], resource_names_unsubscribe: [], initial_resource_versions: {} } as never, view);
    else (conn as SotwConnection).onRequest({ ...blank, type_url: typeUrl, response_nonce: '', version_info: '', resource_names: list } as never, view);
    ack();
  }
  return conn;
}

const heapMiB = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

console.log(JSON.stringify(machine()));
for (const transport of values.transport.split(',')) {
  const conns: Connection[] = [];
  const base = heapMiB();
  const rows: { proxies: number; heapMiB: number; syncCpuMs: number }[] = [];
  for (const n of counts) {
    // CPU of bringing the streams to sync (requests, responses, ACKs), without the GC below.
    const cpu = process.cpuUsage();
    while (conns.length < n) conns.push(connect(transport, conns.length));
    const { user, system } = process.cpuUsage(cpu);
    rows.push({ proxies: n, heapMiB: heapMiB(), syncCpuMs: Math.round((user + system) / 1000) });
  }
  const [first, last] = [rows[0]!, rows.at(-1)!];
  const perStreamKB = last.proxies > first.proxies ? ((last.heapMiB - first.heapMiB) * 1024) / (last.proxies - first.proxies) : NaN;
  console.log(JSON.stringify({ transport, services, baseHeapMiB: +base.toFixed(1), rows: rows.map((r) => ({ ...r, heapMiB: +r.heapMiB.toFixed(1) })), perStreamKB: +perStreamKB.toFixed(1) }));
  for (const c of conns) c.close();
}
void telemetry.shutdown();
