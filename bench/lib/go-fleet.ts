// The Go load client (bench/load-client/main.go, whose head gives its commands and events) as a
// LoadFleet: one child process simulates every sidecar, at a fraction of the CPU bench/lib/
// sidecar.ts spends in this process (BENCHMARKS.md, "A load client in Go"). Its times are
// CLOCK_MONOTONIC milliseconds, which process.hrtime reads too (libuv's uv_hrtime); they are
// moved onto performance.now()'s origin here, so that they compare with the server change's
// hand-over time.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { spawnPiped, stop, type Proc } from '../../e2e/harness/processes';
import type { NodeInfo } from '../../test/support/ads-client';
import type { ClientState, LoadFleet } from './load-fleet';
import { cpuTimes } from './proc-stats';
import type { Holdings, Transport } from './sidecar';

const ROOT = path.join(__dirname, '..', '..');
export const LOAD_CLIENT_BIN = process.env['LOAD_CLIENT_BIN'] ?? path.join(ROOT, 'bench', 'load-client', 'bin', 'load-client');

/**
 * `make TARGET` for a Go program of the bench (the Makefile owns the build: rebuilt when a source is
 * newer than the binary). Its output is kept and put in the error, so a failed Go build says why
 * in the test's report.
 */
export function makeGo(target: 'peer' | 'load-client'): void {
  try {
    execFileSync('make', ['--no-print-directory', '-s', target], { cwd: ROOT, encoding: 'utf8', stdio: 'pipe', timeout: 15 * 60_000 });
  } catch (err) {
    const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string };
    throw new Error(`make ${target} failed (bench/${target}, go build):\n${stdout}${stderr}`.trimEnd(), { cause: err });
  }
}

type Event =
  | { ev: 'synced'; id: number; startedAt: number; t: number; holdings: Holdings; syncBytes: number }
  | { ev: 'seen'; key: number; id: number; t: number }
  | { ev: 'done'; key: number; t: number }
  | { ev: 'nack'; id: number; reason: string }
  | { ev: 'failed'; id: number; message: string }
  | { ev: 'bytes'; req: number; total: number };

class GoClient implements ClientState {
  startedAt = 0;
  syncedAt: number | undefined;
  holdings: Holdings | undefined;
  syncBytes = 0;
  nacks = 0;
  firstNack: string | undefined;
  failure: Error | undefined;
}

export class GoFleet implements LoadFleet {
  readonly clients: GoClient[];
  readonly synced: Promise<number[]>;
  private resolveSynced!: (ms: number[]) => void;
  private rejectSynced!: (err: Error) => void;
  private unsynced: number;
  /** performance.now() minus CLOCK_MONOTONIC, in milliseconds. */
  private readonly offsetMs: number;
  private readonly each = new Map<number, (client: number, at: number) => void>();
  private readonly all = new Map<number, (lastAt: number) => void>();
  private readonly byteAnswers = new Map<number, (total: number) => void>();
  private nextKey = 0;
  private closing = false;

  private constructor(private readonly proc: Proc, count: number) {
    this.offsetMs = performance.now() - Number(process.hrtime.bigint()) / 1e6;
    this.clients = Array.from({ length: count }, () => new GoClient());
    this.unsynced = count;
    this.synced = new Promise((resolve, reject) => {
      this.resolveSynced = resolve;
      this.rejectSynced = reject;
    });
    // The bench awaits `synced` through a bounded wait; an early exit must not go unhandled.
    this.synced.catch(() => {});
    createInterface({ input: proc.child.stdout! }).on('line', (line) => this.onEvent(JSON.parse(line) as Event));
    void proc.exited.then((code) => {
      if (this.closing) return;
      const failure = new Error(`the load client exited (${code}); see ${proc.logFile}`);
      for (const c of this.clients) c.failure ??= failure;
      this.rejectSynced(failure);
    });
  }

  /** Starts one sidecar per node; the binary must be built (`prepareClient` in load-fleet.ts). */
  static start(address: string, nodes: readonly NodeInfo[], transport: Transport, logDir: string): GoFleet {
    const proc = spawnPiped('load-client', LOAD_CLIENT_BIN, ['--address', address, '--transport', transport], path.join(logDir, 'load-client.log'));
    const fleet = new GoFleet(proc, nodes.length);
    fleet.send({ op: 'start', nodes });
    return fleet;
  }

  expectEach(cluster: string, ip: string, seen: (client: number, at: number) => void): void {
    const key = this.nextKey++;
    this.each.set(key, seen);
    this.send({ op: 'expect', key, cluster, ip, each: true });
  }

  expectAll(cluster: string, ip: string, done: (lastAt: number) => void): void {
    const key = this.nextKey++;
    this.all.set(key, done);
    this.send({ op: 'expect', key, cluster, ip, each: false });
  }

  cpu(): { userS: number; systemS: number } {
    return cpuTimes(this.proc.child.pid!);
  }

  bytesReceived(): Promise<number> {
    const req = this.nextKey++;
    return new Promise((resolve, reject) => {
      this.byteAnswers.set(req, resolve);
      this.send({ op: 'bytes', req });
      void this.proc.exited.then((code) => reject(new Error(`the load client exited (${code}) before it counted its bytes`)));
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    this.proc.child.stdin!.end();
    // It stops once its stdin closes; a stuck one is killed.
    const timer = setTimeout(() => void stop(this.proc), 10_000);
    await this.proc.exited;
    clearTimeout(timer);
  }

  private send(command: object): void {
    this.proc.child.stdin!.write(`${JSON.stringify(command)}\n`);
  }

  private onEvent(e: Event): void {
    switch (e.ev) {
      case 'synced': {
        const c = this.clients[e.id]!;
        c.startedAt = e.startedAt + this.offsetMs;
        c.syncedAt = e.t + this.offsetMs;
        c.holdings = e.holdings;
        c.syncBytes = e.syncBytes;
        if (--this.unsynced === 0) this.resolveSynced(this.clients.map((s) => s.syncedAt! - s.startedAt));
        break;
      }
      case 'seen':
        this.each.get(e.key)?.(e.id, e.t + this.offsetMs);
        break;
      case 'done':
        this.all.get(e.key)?.(e.t + this.offsetMs);
        this.all.delete(e.key);
        break;
      case 'nack': {
        const c = this.clients[e.id]!;
        c.nacks++;
        c.firstNack ??= e.reason;
        break;
      }
      case 'failed':
        this.clients[e.id]!.failure ??= new Error(e.message);
        break;
      case 'bytes':
        this.byteAnswers.get(e.req)?.(e.total);
        this.byteAnswers.delete(e.req);
        break;
    }
  }
}
