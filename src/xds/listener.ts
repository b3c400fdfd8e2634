// xDS listeners: Mast's own TCP listener in front of a grpc-js server, for the listen backlog.
//
// grpc-js binds with `listen({ host, port })`, so Node's default backlog of 511 applies: when a
// fleet connects at once (2000 sidecars, or every proxy after Mast restarts) while the event
// loop is busy serving the first, the kernel's accept queue fills, further handshakes are
// dropped (TcpExtListenOverflows), and those clients wait for their SYN retransmit, 1, 3, 7, 15 s
// later. Of 2000 bench sidecars, the last 70 connected over 18 s after the rest had. istiod,
// in Go, listens with the kernel's somaxconn (net.core.somaxconn, 4096 since Linux 5.4).
import net from 'node:net';
import type * as grpc from '@grpc/grpc-js';

/** The accept queue Mast asks for; the kernel caps it at net.core.somaxconn. */
export const LISTEN_BACKLOG = 4096;

/** `HOST:PORT` or `[V6]:PORT` split; throws on an address with no port. */
export function splitHostPort(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  const port = address.slice(i + 1);
  if (i < 0 || !/^\d+$/.test(port) || Number(port) > 65535) throw new Error(`address "${address}" is not HOST:PORT`);
  return { host: address.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(port) };
}

/** A bound xDS listener: its port, and `close` to stop accepting (streams are the server's to end). */
export interface XdsListener {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Listens on `address` (`HOST:PORT`; port 0 picks one) with a backlog of LISTEN_BACKLOG and hands
 * each accepted connection to `server` through grpc-js's connection injector, which serves it as
 * `bindAsync` would (plaintext or TLS, per `credentials`). Rejects with the listen error
 * (EADDRINUSE, EACCES); errors after the bind (EMFILE on an accept) go to `onError`, as the
 * listener keeps accepting.
 */
export function listenXds(server: grpc.Server, address: string, credentials: grpc.ServerCredentials, onError: (err: Error) => void): Promise<XdsListener> {
  const { host, port } = splitHostPort(address);
  const injector = server.createConnectionInjector(credentials);
  const tcp = net.createServer((socket) => injector.injectConnection(socket));
  return new Promise((resolve, reject) => {
    tcp.once('error', (err) => {
      injector.destroy();
      reject(err);
    });
    tcp.listen({ host, port, backlog: LISTEN_BACKLOG }, () => {
      tcp.removeAllListeners('error');
      tcp.on('error', onError);
      resolve({
        port: (tcp.address() as net.AddressInfo).port,
        close: () => new Promise((done) => tcp.close(() => done())),
      });
    });
  });
}
