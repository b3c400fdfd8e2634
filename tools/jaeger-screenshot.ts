// `make screenshot`: docs/jaeger-bookinfo-trace.png, Jaeger's UI showing one bookinfo trace
// (gateway -> productpage -> details, reviews -> ratings, a span from each proxy on the way), taken
// by Debian's headless chromium (`make chromium`; CHROMIUM_BIN overrides) driven by playwright-core.
// It starts what it needs: the demo's mesh (examples/bookinfo/ and examples/tracing/, as `make run`)
// on addresses of its own, so a running `make run` is not in the way, and Jaeger (`make tracing`)
// serving jaeger-ui's build from JAEGER_UI_ASSETS (the binary built from Jaeger's Go module embeds
// only a placeholder page). Everything stops when the picture is taken.
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { TRACING_EXAMPLE, everyHop, jaegerMissing, spansByService, startDemoJaeger, traceUrl, tracedRequest } from '../e2e/demo-tracing';
import { BOOKINFO, Mesh, randomOctet } from '../e2e/harness/mesh';
import { cleanup, tempDir } from '../e2e/harness/processes';

const OUT = path.join(__dirname, '..', 'docs', 'jaeger-bookinfo-trace.png');
const CHROMIUM = process.env['CHROMIUM_BIN'] ?? '/usr/bin/chromium';
const JAEGER_UI = process.env['JAEGER_UI_ASSETS'];
/** The proxies a request that reaches ratings has spans from. */
const PATH = ['istio-ingressgateway.istio-system', 'productpage.default', 'reviews.default', 'ratings.default'];
/** Headless, and nothing that reaches past loopback: no QUIC, updates, sync or background fetches. */
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

async function main(): Promise<void> {
  const missing = jaegerMissing();
  if (missing) throw new Error(missing);
  if (!JAEGER_UI) {
    throw new Error("JAEGER_UI_ASSETS is not set: Jaeger built from its Go module serves a placeholder page, not its UI; set it to a directory holding jaeger-ui's build (packages/jaeger-ui/build)");
  }
  if (!existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM}: run \`make chromium\` (Debian's chromium) or set CHROMIUM_BIN`);

  const octet = randomOctet();
  const work = tempDir('screenshot');
  const jaeger = await startDemoJaeger(`127.${octet}`, path.join(work, 'jaeger'));
  const mesh = await Mesh.start({ workDir: work, source: [BOOKINFO, TRACING_EXAMPLE], octet, progress: (l) => console.log(l) });
  // reviews v1 calls no ratings: ask until a request's trace goes all the way.
  let traceId: string | undefined;
  for (let i = 0; i < 12 && !traceId; i++) {
    const { trace } = await tracedRequest(mesh, jaeger, { complete: everyHop });
    const counts = trace ? spansByService(trace) : {};
    console.log(`trace ${trace?.traceID ?? '(none)'}: ${JSON.stringify(counts)}`);
    if (trace && PATH.every((s) => counts[s])) traceId = trace.traceID;
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
    const url = traceUrl(jaeger, traceId);
    await page.goto(url);
    if ((await page.innerText('body')).includes('not the Jaeger UI')) throw new Error(`${JAEGER_UI} holds Jaeger's placeholder page, not jaeger-ui's build`);
    // The trace view has loaded once every proxy on the path names a row of it.
    for (const name of PATH) await page.getByText(name).first().waitFor({ timeout: 30_000 });
    await page.screenshot({ path: OUT, fullPage: true });
    console.log(`${url} -> ${path.relative(process.cwd(), OUT)}`);
  } finally {
    await context.close();
  }
  await mesh.stop();
  await jaeger.stop();
}

main()
  .then(() => cleanup())
  .catch(async (err: unknown) => {
    console.error(`screenshot failed: ${err instanceof Error ? err.message : String(err)}`);
    await cleanup();
    process.exit(1);
  });
