// `make run`: bookinfo on loopback addresses with real Envoys, configured by Mast from .run/config,
// up until Ctrl-C.
import { rmSync } from 'node:fs';
import path from 'node:path';
import type { EchoAnswer } from '../examples/app/echo';
import { GATEWAY_SERVICE, TRACING_EXAMPLE, everyHop, jaegerMissing, spansByService, startDemoJaeger, traceUrl, tracedRequest } from './demo-tracing';
import type { Jaeger } from './harness/jaeger';
import { BOOKINFO, Mesh, istioTasksDir } from './harness/mesh';
import { get, type Reply } from './harness/net';
import { statsUrl } from './harness/prometheus';
import { cleanup } from './harness/processes';

const ROOT = path.join(__dirname, '..');
const RUN = path.join(ROOT, '.run');
const POLICY = path.join(ROOT, 'examples/policies/ratings-deny-reviews.yaml');
const rel = (p: string): string => path.relative(process.cwd(), p) || '.';

/** The call tree of one answer: which workload served each hop. */
function tree(a: EchoAnswer, indent = '  '): string {
  const lines = [`${indent}${a.service} ${a.version} (${a.pod})`];
  for (const c of a.calls) lines.push(c.body ? tree(c.body, `${indent}  `) : `${indent}  ${c.url}: ${c.status} ${c.error ?? ''}`);
  return lines.join('\n');
}

/** Commands with their comments lined up. */
function block(rows: [string, string?][]): string {
  const width = Math.max(...rows.map(([cmd, note]) => (note ? cmd.length : 0)));
  return rows.map(([cmd, note]) => `  ${note ? `${cmd.padEnd(width)}  # ${note}` : cmd}`).join('\n');
}

function instructions(mesh: Mesh): string {
  const gw = mesh.gatewayUrl();
  const reviews = rel(path.join(mesh.configDir, 'reviews.yaml'));
  const tasks = istioTasksDir();
  const admin = mesh.mast.adminUrl;
  const sidecar = mesh.workloads.find((w) => w.role === 'sidecar') ?? mesh.gateway;
  return `
Try:
${block([
  [`curl -s ${gw}`, 'gateway -> productpage -> details, reviews (-> ratings)'],
  [`curl -s -H 'end-user: jason' ${gw}`],
  [`for i in $(seq 20); do curl -s ${gw} | grep -o '"service":"reviews","version":"v[0-9]"'; done | sort | uniq -c`],
])}

Istio's task YAML, unchanged (copied to one file name, so each replaces the last):
${block([
  [`cp ${tasks}/virtual-service-reviews-test-v2.yaml ${reviews}`, 'request routing: jason -> v2, others -> v1'],
  [`cp ${tasks}/virtual-service-reviews-50-v3.yaml ${reviews}`, 'traffic shifting: v1/v3 50/50'],
  [`\${EDITOR:-vi} ${reviews}`, 'change the weights'],
  [`cp ${tasks}/virtual-service-reviews-v3.yaml ${reviews}`, 'everything to v3'],
  [`rm ${reviews}`, 'back to every version'],
])}

Mast:
${block([
  [`curl -s ${admin}/debug/syncz`, 'what each proxy was sent and ACKed'],
  [`curl -s '${admin}/debug/config_dump?proxy=${sidecar.nodeId}'`],
  [`curl -s ${admin}/metrics`],
])}

Metrics: every proxy's stats as Prometheus text on its :15090 (docs/telemetry.md):
${block([
  [`curl -s ${statsUrl(sidecar.localAddress)} | grep '^envoy_cluster_upstream_rq_total{direction="outbound"'`, `${sidecar.pod}'s requests, by destination service and subset`],
])}

Mutual TLS, STRICT mesh-wide (${rel(path.join(mesh.configDir, 'peer-authentication.yaml'))}):
${block([
  [`curl -s ${sidecar.envoy.adminUrl}/certs`, `${sidecar.pod}'s certificate from Mast's CA: SPIFFE ID, serial, expiry`],
  [`curl -s ${gw} | grep -oE '(By|URI)=spiffe://[^;\\\\"]*'`, 'each hop: who answered (By), who called (URI)'],
  [`curl -s http://${sidecar.ip}:${sidecar.port}/`, 'plaintext from outside the mesh: refused'],
  [`rm ${rel(path.join(mesh.configDir, 'peer-authentication.yaml'))}`, 'PERMISSIVE, Istio\'s default: now served'],
])}

One AuthorizationPolicy (${rel(POLICY)}): ratings refuses the reviews identity:
${block([
  [`cp ${rel(POLICY)} ${rel(mesh.configDir)}/`],
  [`for i in $(seq 6); do curl -s ${gw} | grep -oE '"version":"v[23]"|RBAC: access denied' | tr '\\n' ' '; echo; done`, 'reviews v2 and v3 now get 403 from ratings'],
  [`rm ${rel(path.join(mesh.configDir, path.basename(POLICY)))}`, 'lifted'],
])}

Envoy admin APIs (/config_dump, /clusters, /stats, /ready, /certs):
${block(mesh.workloads.map((w) => [w.envoy.adminUrl, w.pod]))}

Logs: ${rel(mesh.logDir)}/   Ctrl-C stops everything.`;
}

/** The Tracing part of the printout: the request's trace in Jaeger, or how to get Jaeger. */
function tracingLines(jaeger: Jaeger | undefined, trace: { traceID: string; counts: Record<string, number> } | undefined, missing: string | undefined): string {
  if (!jaeger) return `\nTracing: no Jaeger: ${missing}\n  \`make tracing\` builds it once; \`make run\` then starts it and sends the mesh's traces to it (examples/tracing/).`;
  const spans = trace ? Object.entries(trace.counts).map(([svc, n]) => `${svc} ${n}`).join(', ') : '';
  return `
Tracing: every request is traced to Jaeger (${rel(TRACING_EXAMPLE)}/: the mesh config's provider, a mesh-wide Telemetry):
${block([
  [`${jaeger.queryUrl}/search?service=${GATEWAY_SERVICE}`, "Jaeger's UI: traces through the gateway"],
  ...(trace ? [[traceUrl(jaeger, trace.traceID), `the request above: spans by proxy: ${spans}`] as [string, string]] : [['(the request above left no trace in 10 s: see .run/logs/)'] as [string]]),
  [`curl -s ${jaeger.queryUrl}/api/traces/${trace?.traceID ?? 'TRACE_ID'}`, 'the same through its query API'],
])}${process.env['JAEGER_UI_ASSETS'] ? '' : "\n  A Jaeger built from its Go module has a placeholder page for a UI: JAEGER_UI_ASSETS=DIR serves jaeger-ui's build from DIR."}`;
}

async function main(): Promise<void> {
  rmSync(RUN, { recursive: true, force: true });
  const missing = jaegerMissing();
  const jaeger = missing ? undefined : await startDemoJaeger('127.0', path.join(RUN, 'jaeger'));
  if (jaeger) console.log(`started Jaeger (${jaeger.queryUrl})`);
  const source = jaeger ? [BOOKINFO, TRACING_EXAMPLE] : BOOKINFO;
  const mesh = await Mesh.start({ workDir: RUN, source, progress: (line) => console.log(line) });
  const url = mesh.gatewayUrl();
  let reply: Reply;
  let trace: { traceID: string; counts: Record<string, number> } | undefined;
  if (jaeger) {
    const r = await tracedRequest(mesh, jaeger, { complete: everyHop });
    reply = r.reply;
    if (r.trace) trace = { traceID: r.trace.traceID, counts: spansByService(r.trace) };
  } else {
    reply = await get(url);
  }
  console.log(`\nGET ${url} -> ${reply.status}`);
  try {
    console.log(tree(JSON.parse(reply.text) as EchoAnswer));
  } catch {
    console.log(reply.text);
  }
  console.log(tracingLines(jaeger, trace, missing));
  console.log(instructions(mesh));
  process.once('SIGINT', () => console.log('\nstopping Mast, Envoys and apps...'));
}

main().catch(async (err: unknown) => {
  console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
  await cleanup();
  process.exit(1);
});
