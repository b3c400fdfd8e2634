// xDS listeners (src/xds/listener.ts): bound with an accept queue a fleet connecting at once fits
// in, read back from the kernel (`ss` shows a listening socket's backlog as its Send-Q).
import * as grpc from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import { LISTEN_BACKLOG, listenXds, splitHostPort } from '../../src/xds/listener';

const noError = (err: Error): void => assert.fail(String(err));

/** The backlog of the socket listening on 127.0.0.1:`port`, as the kernel holds it. */
function backlogOf(port: number): number {
  const line = execFileSync('ss', ['-Hltn', `sport = :${port}`], { encoding: 'utf8' }).trim();
  const [, , sendQ] = line.split(/\s+/);
  assert.ok(sendQ, `ss lists the listener on ${port}: ${line}`);
  return Number(sendQ);
}

describe('xDS listener', () => {
  const server = new grpc.Server();
  after(() => server.forceShutdown());

  it("asks the kernel for LISTEN_BACKLOG, capped at somaxconn, not Node's 511", async () => {
    const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
    const listener = await listenXds(server, '127.0.0.1:0', grpc.ServerCredentials.createInsecure(), noError);
    try {
      assert.equal(backlogOf(listener.port), Math.min(LISTEN_BACKLOG, somaxconn));
      assert.ok(backlogOf(listener.port) > 511 || somaxconn <= 511);
    } finally {
      await listener.close();
    }
  });

  it('rejects an address in use, and frees its port on close', async () => {
    const listener = await listenXds(server, '127.0.0.1:0', grpc.ServerCredentials.createInsecure(), noError);
    const at = `127.0.0.1:${listener.port}`;
    await assert.rejects(listenXds(server, at, grpc.ServerCredentials.createInsecure(), noError), /EADDRINUSE/);
    await listener.close();
    const again = await listenXds(server, at, grpc.ServerCredentials.createInsecure(), noError);
    assert.equal(again.port, listener.port);
    await again.close();
    await assert.rejects(new Promise<void>((resolve, reject) => net.connect(listener.port, '127.0.0.1', resolve).once('error', reject)), /ECONNREFUSED/);
  });

  it('splits HOST:PORT and [V6]:PORT, and names an address without a port', () => {
    assert.deepEqual(splitHostPort('127.0.0.1:15010'), { host: '127.0.0.1', port: 15010 });
    assert.deepEqual(splitHostPort('[::1]:0'), { host: '::1', port: 0 });
    assert.deepEqual(splitHostPort('mast.mast-system.svc:15012'), { host: 'mast.mast-system.svc', port: 15012 });
    for (const bad of ['127.0.0.1', '127.0.0.1:', '127.0.0.1:http', '127.0.0.1:70000']) assert.throws(() => splitHostPort(bad), /is not HOST:PORT/, bad);
  });
});
