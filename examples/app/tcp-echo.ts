// Istio's tcp-echo sample (samples/tcp-echo/src/main.go) for the loopback address plan: the same
// arguments and answers (each line a client sends comes back as `PREFIX line`), but listening on
// one address instead of every one. Istio's binary listens on `:PORT`, which on one host takes the
// port from every other pod's address (docs/conventions.md), so a mesh of two versions cannot run it.
//   node --import tsx examples/app/tcp-echo.ts 9000,9001 one --address 127.0.2.1
import net from 'node:net';
import { parseArgs } from 'node:util';

export interface TcpEchoOptions {
  address: string;
  ports: number[];
  /** Put before every line answered, with a space, as tcp-echo's second argument. */
  prefix: string;
}

const connections = new WeakMap<net.Server, Set<net.Socket>>();

/** The listening servers, one per port; resolves once every port listens. */
export async function startTcpEcho(o: TcpEchoOptions): Promise<net.Server[]> {
  return Promise.all(
    o.ports.map(
      (port) =>
        new Promise<net.Server>((resolve, reject) => {
          const server = net.createServer((socket) => {
            open.add(socket);
            socket.on('close', () => open.delete(socket));
            let pending = '';
            socket.setEncoding('utf8');
            socket.on('data', (chunk: string) => {
              pending += chunk;
              for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
                socket.write(`${o.prefix} ${pending.slice(0, nl + 1)}`);
                pending = pending.slice(nl + 1);
              }
            });
            // tcp-echo drops a last line without a newline, and closes when the client does.
            socket.on('end', () => socket.end());
            socket.on('error', () => socket.destroy());
          });
          const open = new Set<net.Socket>();
          connections.set(server, open);
          server.once('error', reject);
          server.listen(port, o.address, () => resolve(server));
        }),
    ),
  );
}

/** Closes `servers` and every connection they hold. */
export async function stopTcpEcho(servers: readonly net.Server[]): Promise<void> {
  const closed = servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
  for (const s of servers) for (const socket of connections.get(s) ?? []) socket.destroy();
  await Promise.all(closed);
}

if (require.main === module) {
  const { values, positionals } = parseArgs({ options: { address: { type: 'string', default: '127.0.0.1' } }, allowPositionals: true });
  const [ports, prefix] = positionals;
  if (!ports || prefix === undefined) {
    console.error("usage: tcp-echo.ts PORT[,PORT...] PREFIX [--address ADDRESS]");
    process.exit(1);
  }
  void startTcpEcho({ address: values.address!, ports: ports.split(',').map(Number), prefix }).then(() => console.log(`listening on ${values.address}:${ports}, prefix: ${prefix}`));
}
