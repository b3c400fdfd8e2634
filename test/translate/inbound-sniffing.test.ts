// Inbound protocol sniffing through a real Envoy: the golden case inbound-sniffing (a Service port
// with no name, PERMISSIVE), translated by Mast and run as a static bootstrap
// (test/support/static-bootstrap.ts), moved to its own loopback block 127.0.88.0/24. On the
// sniffed port, non-HTTP bytes in plaintext must reach the app untouched through tcp_proxy, while
// HTTP/1.1 and h2c must go through the inbound HTTP connection manager, which adds
// x-forwarded-proto on the way and counts the requests under the inbound stat prefix.
import assert from 'node:assert/strict';
import { connect as http2Connect } from 'node:http2';
import { createServer, connect, type Server } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { translate } from '../../src/translate';
import { inboundStatPrefix } from '../../src/translate/names';
import type { ProxyClass } from '../../src/translate/types';
import { Envoy } from '../../e2e/harness/envoy';
import { freePort, get, waitFor } from '../../e2e/harness/net';
import { cleanup, tempDir } from '../../e2e/harness/processes';
import { goldenCases, snapshotOf } from '../golden/cases';
import { skipWithoutEnvoy } from '../support/envoy-validate';
import { staticBootstrap } from '../support/static-bootstrap';
import { validationSecrets } from '../support/validation-secrets';

/** The golden case's addresses (pod, local, outbound) and this test's, unused elsewhere. */
const MOVES: [string, string][] = [['127.0.1.40', '127.0.88.1'], ['127.0.2.40', '127.0.88.2'], ['127.0.3.40', '127.0.88.3']];
const POD = '127.0.88.1';
const APP = '127.0.88.2';
const PORT = 9000;

const moved = (text: string): string => MOVES.reduce((t, [from, to]) => t.split(from).join(to), text);

/** Plaintext bytes that no HTTP parser accepts: http_inspector must report them as not HTTP. */
const RAW = Buffer.from([0x00, 0x01, 0x02, 0xff, 0x0a]);

/** One TCP exchange: `bytes` out, everything the other side sends until it closes. */
function exchange(host: string, port: number, bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, host, () => socket.write(bytes));
    socket.setTimeout(5000, () => socket.destroy(new Error('no answer in 5 s')));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => resolve(Buffer.concat(chunks)));
    socket.on('error', reject);
  });
}

function h2cGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const session = http2Connect(url);
    session.on('error', reject);
    const req = session.request({ ':path': '/' });
    let status = 0;
    const chunks: Buffer[] = [];
    req.on('response', (h) => { status = Number(h[':status']); });
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => { session.close(); resolve({ status, body: Buffer.concat(chunks).toString() }); });
    req.on('error', reject);
    req.end();
  });
}

describe('a sniffed inbound port through a real Envoy', { skip: skipWithoutEnvoy }, () => {
  let envoy: Envoy | undefined;
  let app: Server | undefined;
  let adminUrl = '';
  /** What the app received on each connection, in order. */
  const received: Buffer[] = [];

  before(async () => {
    // The app: an HTTP request gets 200 with the request head it saw as the body; other bytes
    // are echoed back after `echo:`. Either way the connection then closes.
    app = createServer((socket) => socket.once('data', (data: Buffer) => {
      received.push(data);
      if (data.subarray(0, 4).toString() === 'GET ') {
        const head = data.toString().split('\r\n\r\n')[0] as string;
        socket.end(`HTTP/1.1 200 OK\r\ncontent-length: ${Buffer.byteLength(head)}\r\nconnection: close\r\n\r\n${head}`);
      } else socket.end(Buffer.concat([Buffer.from('echo:'), data]));
    }));
    await new Promise<void>((resolve) => app?.listen(PORT, APP, resolve));
    const golden = goldenCases().find((c) => c.name === 'inbound-sniffing');
    assert.ok(golden, 'the golden case inbound-sniffing');
    const proxy = JSON.parse(moved(JSON.stringify(golden.proxy))) as ProxyClass;
    const { snapshot, errors } = snapshotOf(moved(golden.input), golden.inputFile);
    assert.deepEqual(errors, []);
    const config = staticBootstrap(translate(snapshot, proxy), proxy, await validationSecrets());
    const adminPort = await freePort();
    adminUrl = `http://127.0.0.1:${adminPort}`;
    // No ADS: Envoy goes live on its static resources alone.
    const { dynamic_resources: _ads, ...rest } = config;
    const bootstrap = { ...rest, admin: { address: { socket_address: { address: '127.0.0.1', port_value: adminPort } } } };
    envoy = Envoy.start({ name: 'inbound-sniffing', bootstrap, dir: tempDir('inbound-sniffing'), adminUrl });
    await envoy.waitLive();
    await waitFor(async () => (await get(`${adminUrl}/listeners`)).text.includes('virtualInbound'), 10000, 'virtualInbound to listen');
  });
  after(async () => {
    await envoy?.stop();
    await new Promise((resolve) => app?.close(resolve));
    await cleanup();
  });

  const stat = async (name: string): Promise<number> => {
    const text = (await get(`${adminUrl}/stats?filter=${encodeURIComponent(`^${name.replace(/[|.]/g, '\\$&')}$`)}`)).text;
    const m = /: (\d+)/.exec(text);
    return m ? Number(m[1]) : 0;
  };

  test('non-HTTP bytes reach the app untouched through tcp_proxy', async () => {
    const before = await stat(`tcp.inbound|${PORT}||.downstream_cx_total`);
    const reply = await exchange(POD, PORT, RAW);
    assert.deepEqual(reply, Buffer.concat([Buffer.from('echo:'), RAW]));
    assert.deepEqual(received.at(-1), RAW, 'the app saw the bytes as sent');
    assert.equal(await stat(`tcp.inbound|${PORT}||.downstream_cx_total`), before + 1);
  });

  test('HTTP/1.1 to the same port goes through the inbound HTTP connection manager', async () => {
    const prefix = `http.${inboundStatPrefix(PORT, false)}.downstream_rq_http1_total`;
    const before = await stat(prefix);
    const reply = await get(`http://${POD}:${PORT}/`);
    assert.equal(reply.status, 200);
    assert.match(reply.text, /^x-forwarded-proto: http$/im, 'the HCM added x-forwarded-proto');
    assert.equal(await stat(prefix), before + 1);
  });

  test('h2c (HTTP/2 prior knowledge) to the same port goes through it too', async () => {
    const prefix = `http.${inboundStatPrefix(PORT, false)}.downstream_rq_http2_total`;
    const before = await stat(prefix);
    const reply = await h2cGet(`http://${POD}:${PORT}`);
    assert.equal(reply.status, 200);
    assert.match(reply.body, /^x-forwarded-proto: http$/im);
    assert.equal(await stat(prefix), before + 1);
  });
});
