// The xDS load bench's sidecars as one fleet, whichever load client simulates them: `go`
// (bench/load-client, one child process for the fleet; go-fleet.ts) or `node` (bench/lib/sidecar.ts,
// in the bench's own process). The bench reads both the same way: each sidecar's sync, holdings,
// NACKs and failure, and the time each ACKed an awaited endpoint change.
import type { NodeInfo } from '../../test/support/ads-client';
import { GoFleet, makeGo } from './go-fleet';
import { Sidecar, type Holdings, type Transport } from './sidecar';

export const CLIENT_KINDS = ['go', 'node'] as const;
export type ClientKind = (typeof CLIENT_KINDS)[number];

/** What the bench reads of one simulated sidecar; times are performance.now() milliseconds. */
export interface ClientState {
  readonly startedAt: number;
  readonly syncedAt: number | undefined;
  readonly holdings: Holdings | undefined;
  /** Bytes of the responses (gRPC messages) that arrived until the sidecar was synced. */
  readonly syncBytes: number;
  /** Responses NACKed: undecodable, or holding a resource not of the response's type. */
  readonly nacks: number;
  readonly firstNack: string | undefined;
  readonly failure: Error | undefined;
}

export interface LoadFleet {
  /** The sidecars, in the order of the nodes they were started with. */
  readonly clients: readonly ClientState[];
  /** Resolves with each sidecar's sync time (ms from its start), once all have synced. */
  readonly synced: Promise<number[]>;
  /** Every sidecar awaits the EDS response listing `ip` (new to the cluster) in `cluster`'s
   * ClusterLoadAssignment, or a later one superseding it; `seen` gets each sidecar's index and the
   * time it ACKed that response. */
  expectEach(cluster: string, ip: string, seen: (client: number, at: number) => void): void;
  /** As expectEach, but `done` is called once, with the last sidecar's time. */
  expectAll(cluster: string, ip: string, done: (lastAt: number) => void): void;
  /** CPU seconds the load client has used so far: the Go one's process, or this one. */
  cpu(): { userS: number; systemS: number };
  /** Response bytes (gRPC messages, without HTTP/2 framing) every sidecar received so far. */
  bytesReceived(): Promise<number>;
  close(): Promise<void>;
}

/** Makes the `kind` load client ready to start, so that building it is not timed: `make
 * load-client` unless LOAD_CLIENT_BIN names a binary. */
export function prepareClient(kind: ClientKind): void {
  if (kind === 'go' && !process.env['LOAD_CLIENT_BIN']) makeGo('load-client');
}

/** `nodes.length` sidecars on `address`'s ADS, simulated by the `kind` load client. */
export function startFleet(kind: ClientKind, address: string, nodes: readonly NodeInfo[], transport: Transport, logDir: string): LoadFleet {
  return kind === 'go' ? GoFleet.start(address, nodes, transport, logDir) : new NodeFleet(address, nodes, transport);
}

/** bench/lib/sidecar.ts's sidecars, in this process. */
class NodeFleet implements LoadFleet {
  readonly clients: Sidecar[];
  readonly synced: Promise<number[]>;

  constructor(address: string, nodes: readonly NodeInfo[], transport: Transport) {
    this.clients = nodes.map((n) => new Sidecar(address, n, transport));
    this.synced = Promise.all(this.clients.map((s) => s.synced));
  }

  expectEach(cluster: string, ip: string, seen: (client: number, at: number) => void): void {
    this.clients.forEach((s, i) => s.expect(cluster, ip, (at) => seen(i, at)));
  }

  expectAll(cluster: string, ip: string, done: (lastAt: number) => void): void {
    let waiting = this.clients.length;
    let last = 0;
    const seen = (at: number): void => {
      last = Math.max(last, at);
      if (--waiting === 0) done(last);
    };
    for (const s of this.clients) s.expect(cluster, ip, seen);
  }

  cpu(): { userS: number; systemS: number } {
    const { user, system } = process.cpuUsage();
    return { userS: user / 1e6, systemS: system / 1e6 };
  }

  bytesReceived(): Promise<number> {
    return Promise.resolve(this.clients.reduce((sum, s) => sum + s.bytesReceived, 0));
  }

  close(): Promise<void> {
    for (const s of this.clients) s.close();
    return Promise.resolve();
  }
}

/** `; N failed, first: ...` for the sidecars that failed, or '' when none did: appended to progress lines. */
export function failures(clients: readonly ClientState[]): string {
  const failed = clients.filter((s) => s.failure);
  return failed.length ? `; ${failed.length} failed, first: ${failed[0]!.failure!.message}` : '';
}
