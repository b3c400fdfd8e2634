// A real Redis (Debian's redis-server, `make redis`) on a free port, in memory only, for the
// envoyproxy/ratelimit service to count in. Registered with processes.ts, so cleanup() stops it.
import net from 'node:net';
import path from 'node:path';
import { backendBin } from './backends';
import { freePort } from './net';
import { spawnLogged, stop, tempDir, waitReady, type Proc } from './processes';

export interface Redis {
  host: string;
  port: number;
  /** `host:port`, as ratelimit's REDIS_URL takes it. */
  url: string;
  proc: Proc;
  stop(): Promise<void>;
}

/** Sends one inline command and resolves with the first line of the reply (`+PONG`). */
export function redisCommand(host: string, port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let reply = '';
    socket.setTimeout(1000, () => socket.destroy(new Error(`redis ${host}:${port}: no reply to ${command}`)));
    socket.once('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString();
      const end = reply.indexOf('\r\n');
      if (end >= 0) {
        socket.end();
        resolve(reply.slice(0, end));
      }
    });
    socket.once('error', reject);
  });
}

/**
 * Starts redis-server on `host` (127.0.0.1 by default) at a free port with persistence off, and
 * resolves once it answers PING. Fails with its log if it exits or does not answer in 10 s.
 */
export async function startRedis(o: { host?: string; dir?: string } = {}): Promise<Redis> {
  const host = o.host ?? '127.0.0.1';
  const dir = o.dir ?? tempDir('redis');
  const port = await freePort(host);
  const args = ['--bind', host, '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir, '--protected-mode', 'no'];
  const proc = spawnLogged('redis-server', backendBin('redis'), args, path.join(dir, 'redis.log'));
  await waitReady(proc, async () => (await redisCommand(host, port, 'PING')) === '+PONG', 10_000);
  return { host, port, url: `${host}:${port}`, proc, stop: () => stop(proc) };
}
