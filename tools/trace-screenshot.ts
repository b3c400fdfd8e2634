// `make screenshot`: a trace UI showing one bookinfo trace (gateway -> productpage -> details,
// reviews -> ratings, a span from each proxy on the way), taken by Debian's headless chromium
// (`make chromium`; CHROMIUM_BIN overrides) driven by playwright-core. It starts what it needs: the
// demo's mesh (examples/bookinfo/ plus the tracing config of the backend) on addresses of its own,
// so a running `make run` is not in the way, and the backend. Everything stops when the picture is
// taken.
//
//   node --import tsx tools/trace-screenshot.ts [--backend jaeger|zipkin]
//
// jaeger: Jaeger (`make tracing`) with examples/tracing/ (the OpenTelemetry provider), serving
//   jaeger-ui's build from JAEGER_UI_ASSETS (the binary built from Jaeger's Go module embeds only a
//   placeholder page); writes docs/jaeger-bookinfo-trace.png.
// zipkin: Zipkin's own server and UI (`make zipkin`, zipkin-server from Maven Central) with the
//   mesh config's `zipkin` provider, a ServiceEntry for its collector and the mesh-wide Telemetry,
//   as examples/tracing/ does for Jaeger; writes docs/zipkin-bookinfo-trace.png.
// With no --backend: jaeger when JAEGER_UI_ASSETS is set, else zipkin (jaeger-ui's build is on no
// registry reachable here: not on npm, not in Debian, and the Go proxy refuses its repository).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { stringify } from 'yaml';
import { TRACING_EXAMPLE, everyHop, jaegerMissing, spansByService, startDemoJaeger, traceUrl, tracedRequest } from '../e2e/demo-tracing';
import { BOOKINFO, Mesh, randomOctet } from '../e2e/harness/mesh';
import { get, sleep } from '../e2e/harness/net';
import { cleanup, tempDir } from '../e2e/harness/processes';
import { startZipkin, zipkinJar, type ZipkinSpan } from '../e2e/harness/zipkin';

const CHROMIUM = process.env['CHROMIUM_BIN'] ?? '/usr/bin/chromium';
/** The proxies a request that reaches ratings has spans from (Envoy's --service-cluster, `<app>.<namespace>`). */
const PATH = ['istio-ingressgateway.istio-system', 'productpage.default', 'reviews.default', 'ratings.default'];
/** Headless, and nothing that reaches past loopback: no QUIC, updates, sync or background fetches. */
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** One trace backend as the screenshot uses it. */
interface Backend {
  /** The PNG it writes. */
  out: string;
  /** Mesh config folders beside examples/bookinfo/: the provider, its ServiceEntry, the Telemetry. */
  sources: string[];
  /** Sends one traced request through the gateway; its trace id and span counts by proxy, once complete. */
  request(mesh: Mesh): Promise<{ traceId?: string; counts: Record<string, number> }>;
  /** The UI's page for one trace. */
  url(traceId: string): string;
  /** Text on that page when it is not the real UI (Jaeger's placeholder), else undefined. */
  notUi?: string;
  stop(): Promise<void>;
}

async function jaegerBackend(prefix: string, work: string): Promise<Backend> {
  const missing = jaegerMissing();
  if (missing) throw new Error(missing);
  if (!process.env['JAEGER_UI_ASSETS']) {
    throw new Error("JAEGER_UI_ASSETS is not set: Jaeger built from its Go module serves a placeholder page, not its UI; set it to a directory holding jaeger-ui's build (packages/jaeger-ui/build), or use --backend zipkin");
  }
  const jaeger = await startDemoJaeger(prefix, path.join(work, 'jaeger'));
  return {
    out: path.join(__dirname, '..', 'docs', 'jaeger-bookinfo-trace.png'),
    sources: [TRACING_EXAMPLE],
    request: async (mesh) => {
      const { traceId, trace } = await tracedRequest(mesh, jaeger, { complete: everyHop });
      return { ...(trace ? { traceId } : {}), counts: trace ? spansByService(trace) : {} };
    },
    url: (traceId) => traceUrl(jaeger, traceId),
    notUi: 'not the Jaeger UI',
    stop: () => jaeger.stop(),
  };
}

/** Zipkin's collector host in the mesh's registry, as examples/tracing/ names Jaeger's. */
const ZIPKIN_HOST = 'zipkin.observability.local';

/**
 * The demo's tracing config for Zipkin at `host:port`, written into `dir`: Istio's `zipkin`
 * extension provider in the `istio` ConfigMap's mesh config (its `port` is the Service's, 9411 as
 * Istio's samples/addons/extras/zipkin.yaml has it), a ServiceEntry giving that host Zipkin's
 * address and real port, and the root namespace's Telemetry sampling every request.
 */
function zipkinConfig(dir: string, host: string, port: number): void {
  mkdirSync(dir, { recursive: true });
  const docs = [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'istio', namespace: 'istio-system' }, data: { mesh: stringify({ extensionProviders: [{ name: 'zipkin', zipkin: { service: ZIPKIN_HOST, port: 9411 } }] }) } },
    {
      apiVersion: 'networking.istio.io/v1',
      kind: 'ServiceEntry',
      metadata: { name: 'zipkin', namespace: 'istio-system' },
      spec: { hosts: [ZIPKIN_HOST], location: 'MESH_EXTERNAL', resolution: 'STATIC', ports: [{ number: 9411, name: 'http-zipkin', protocol: 'HTTP' }], endpoints: [{ address: host, ports: { 'http-zipkin': port } }] },
    },
    { apiVersion: 'telemetry.istio.io/v1', kind: 'Telemetry', metadata: { name: 'mesh-default', namespace: 'istio-system' }, spec: { tracing: [{ providers: [{ name: 'zipkin' }], randomSamplingPercentage: 100 }] } },
  ];
  writeFileSync(path.join(dir, 'tracing-zipkin.yaml'), docs.map((d) => stringify(d)).join('---\n'));
}

async function zipkinBackend(prefix: string, work: string): Promise<Backend> {
  zipkinJar();
  const zipkin = await startZipkin({ host: `${prefix}.9.2`, dir: work });
  const config = path.join(work, 'tracing-zipkin');
  zipkinConfig(config, zipkin.host, zipkin.port);
  return {
    out: path.join(__dirname, '..', 'docs', 'zipkin-bookinfo-trace.png'),
    sources: [config],
    // The first hop of a new B3 trace (Envoy's Zipkin tracer reads B3 headers), sampled; the trace
    // id is chosen here, then the trace is looked up by service in Zipkin's API, as a user finds it.
    request: async (mesh) => {
      const traceId = randomBytes(16).toString('hex');
      const reply = await get(mesh.gatewayUrl(), { headers: { 'x-b3-traceid': traceId, 'x-b3-spanid': randomBytes(8).toString('hex'), 'x-b3-sampled': '1' } });
      let spans: ZipkinSpan[] = [];
      for (const deadline = Date.now() + 15_000; Date.now() < deadline; ) {
        await sleep(500);
        spans = (await zipkin.traces(PATH[0]!)).find((t) => t[0]?.traceId === traceId) ?? [];
        if (spans.length > 0 && everyHop({ spans }, reply)) break;
      }
      const counts: Record<string, number> = {};
      for (const s of spans) counts[s.localEndpoint?.serviceName ?? '?'] = (counts[s.localEndpoint?.serviceName ?? '?'] ?? 0) + 1;
      return { ...(spans.length ? { traceId } : {}), counts };
    },
    url: (traceId) => `${zipkin.url}/zipkin/traces/${traceId}`,
    stop: () => zipkin.stop(),
  };
}

async function main(): Promise<void> {
  const flag = process.argv.indexOf('--backend');
  const kind = flag >= 0 ? process.argv[flag + 1] : process.env['JAEGER_UI_ASSETS'] ? 'jaeger' : 'zipkin';
  if (kind !== 'jaeger' && kind !== 'zipkin') throw new Error(`--backend ${kind ?? '(none)'}: jaeger or zipkin`);
  if (!existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM}: run \`make chromium\` (Debian's chromium) or set CHROMIUM_BIN`);

  const octet = randomOctet();
  const work = tempDir('screenshot');
  const backend = await (kind === 'jaeger' ? jaegerBackend : zipkinBackend)(`127.${octet}`, work);
  const mesh = await Mesh.start({ workDir: work, source: [BOOKINFO, ...backend.sources], octet, progress: (l) => console.log(l) });
  // reviews v1 calls no ratings: ask until a request's trace goes all the way.
  let traceId: string | undefined;
  for (let i = 0; i < 12 && !traceId; i++) {
    const r = await backend.request(mesh);
    console.log(`${kind} trace ${r.traceId ?? '(none)'}: ${JSON.stringify(r.counts)}`);
    if (r.traceId && PATH.every((s) => r.counts[s])) traceId = r.traceId;
  }
  if (!traceId) throw new Error(`no trace through ${PATH.join(', ')} in 12 requests (logs: ${mesh.logDir})`);

  const context = await chromium.launchPersistentContext(mkdtempSync(path.join(os.tmpdir(), 'chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1400, height: 800 },
  });
  try {
    const page = await context.newPage();
    const url = backend.url(traceId);
    await page.goto(url);
    if (backend.notUi && (await page.innerText('body')).includes(backend.notUi)) throw new Error(`${url} is a placeholder page, not the ${kind} UI`);
    // The trace view has loaded once every proxy on the path names a row of it.
    for (const name of PATH) await page.getByText(name).first().waitFor({ timeout: 30_000 });
    await page.screenshot({ path: backend.out, fullPage: true });
    console.log(`${url} -> ${path.relative(process.cwd(), backend.out)}`);
  } finally {
    await context.close();
  }
  await mesh.stop();
  await backend.stop();
}

main()
  .then(() => cleanup())
  .catch(async (err: unknown) => {
    console.error(`screenshot failed: ${err instanceof Error ? err.message : String(err)}`);
    await cleanup();
    process.exit(1);
  });
