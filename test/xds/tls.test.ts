// xDS over TLS keeps a valid certificate without a restart: the server presents the CA's current
// serving certificate, and after a renewal new connections get the new one on the same port.
// Listened on as Mast does (listener.ts: its own TCP listener, connections injected).
import * as grpc from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { connect, type PeerCertificate } from 'node:tls';
import { CertificateAuthority, RenewingCert } from '../../src/ca';
import { listenXds, type XdsListener } from '../../src/xds/listener';
import { tlsCredentials } from '../../src/xds/tls';

const NAME = 'mast.mast-system.svc';

/** The certificate the server at `port` presents, verified against `caPem` for NAME over ALPN h2. */
function peerCertificate(port: number, caPem: string): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername: NAME, ca: caPem, ALPNProtocols: ['h2'] }, () => {
      assert.equal(socket.alpnProtocol, 'h2', 'gRPC needs HTTP/2 by ALPN');
      resolve(socket.getPeerCertificate());
      socket.end();
    });
    socket.once('error', reject);
  });
}

const server = new grpc.Server();
let cert: RenewingCert | undefined;
let listener: XdsListener | undefined;
after(async () => {
  cert?.stop();
  server.forceShutdown();
  await listener?.close();
});

test('serves the current certificate, and a renewed one to new connections on the same port', async () => {
  // Leaves of 1.5 s are renewed at two thirds of that (1 s).
  const ca = await CertificateAuthority.create({ leafTtlMs: 1500 });
  cert = await RenewingCert.issue({ ca, dnsNames: [NAME], onError: (err) => assert.fail(String(err)) });
  listener = await listenXds(server, '127.0.0.1:0', tlsCredentials(cert), (err) => assert.fail(String(err)));
  const { port } = listener;

  const first = await peerCertificate(port, ca.rootPem);
  assert.equal(first.subjectaltname, `DNS:${NAME}`);
  await new Promise<void>((resolve) => cert!.onRenew(() => resolve()));
  const second = await peerCertificate(port, ca.rootPem);
  assert.notEqual(second.serialNumber, first.serialNumber, 'a new connection gets the renewed certificate');
  assert.ok(new Date(second.valid_to) >= new Date(first.valid_to));
});
