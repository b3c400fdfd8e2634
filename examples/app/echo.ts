// The sample app behind every bookinfo workload: answers any request with who it is and what it
// saw, after calling its downstream services (`--call`) through its sidecar (`--via`).
//   node --import tsx examples/app/echo.ts --address 127.0.2.1 --port 9080 \
//     --service productpage --version v1 --pod productpage-v1-1 \
//     --call http://reviews:9080/ --via 127.0.3.1
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';

export interface EchoOptions {
  address: string;
  port: number;
  service: string;
  version: string;
  pod: string;
  /** Downstream URLs to call on every request, by service name (`http://reviews:9080/`). */
  calls?: string[];
  /** The sidecar's outbound address: calls connect there and keep the URL's host as Host. */
  via?: string;
}

export interface EchoAnswer {
  service: string;
  version: string;
  pod: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  calls: { url: string; status: number; body?: EchoAnswer; error?: string }[];
}

// Headers an app must pass on for the mesh to route its calls as it routed the request
// (Istio asks the same of bookinfo: `end-user` drives the reviews header match), and to join its
// calls to the request's trace: the request id, B3 (Zipkin) and W3C trace context (OpenTelemetry),
// as bookinfo's productpage forwards them.
const PROPAGATED = ['end-user', 'x-request-id', 'traceparent', 'tracestate', 'b3', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-parentspanid', 'x-b3-sampled', 'x-b3-flags'];

function call(url: string, via: string | undefined, incoming: http.IncomingHttpHeaders): Promise<EchoAnswer['calls'][number]> {
  const target = new URL(url);
  const headers: http.OutgoingHttpHeaders = { host: target.host };
  for (const h of PROPAGATED) if (incoming[h] !== undefined) headers[h] = incoming[h];
  return new Promise((resolve) => {
    const req = http.get(
      { host: via ?? target.hostname, port: target.port || 80, path: target.pathname + target.search, headers, agent: false, timeout: 3000 },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          try {
            resolve({ url, status, body: JSON.parse(text) as EchoAnswer });
          } catch {
            resolve({ url, status, error: text.slice(0, 200) });
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err) => resolve({ url, status: 0, error: err.message }));
  });
}

export function startEcho(o: EchoOptions): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    req.resume();
    void Promise.all((o.calls ?? []).map((url) => call(url, o.via, req.headers))).then((calls) => {
      const answer: EchoAnswer = { service: o.service, version: o.version, pod: o.pod, path: req.url ?? '/', headers: req.headers, calls };
      // A failed downstream call fails the request, so a broken hop inside the mesh is visible
      // to whoever sends the request at the edge.
      const ok = calls.every((c) => c.status >= 200 && c.status < 300);
      res.writeHead(ok ? 200 : 502, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer));
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.address, () => resolve(server));
  });
}

/** The command-line flags; a Pod's container args in examples/bookinfo are the same flags. */
export function parseEchoArgs(args: string[]): EchoOptions {
  const { values } = parseArgs({
    args,
    options: {
      address: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '9080' },
      service: { type: 'string', default: 'echo' },
      version: { type: 'string', default: 'v1' },
      pod: { type: 'string', default: 'echo' },
      call: { type: 'string', multiple: true, default: [] },
      via: { type: 'string' },
    },
  });
  return { ...values, port: Number(values.port), calls: values.call };
}

if (require.main === module) {
  const o = parseEchoArgs(process.argv.slice(2));
  void startEcho(o).then((s) => {
    const { address, port } = s.address() as AddressInfo;
    console.log(`${o.service} ${o.version} listening on ${address}:${port}`);
  });
}
