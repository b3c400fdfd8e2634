// A real Envoy under test: started from a bootstrap object, observed through its admin API.
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { NackWatch } from './nacks';
import { get, waitFor } from './net';
import { isRunning, spawnLogged, stop, waitReady, type Proc } from './processes';

export function envoyBin(): string {
  const bin = process.env['ENVOY_BIN'] || path.join(__dirname, '..', '..', '.venv', 'bin', 'envoy');
  if (!existsSync(bin)) throw new Error(`no Envoy at ${bin}: run \`make deps\` or set ENVOY_BIN`);
  return bin;
}

export interface EnvoyOptions {
  name: string;
  bootstrap: object;
  /** Where the bootstrap and the log go. */
  dir: string;
  /** The admin address the bootstrap names, `http://HOST:PORT`. */
  adminUrl: string;
  /**
   * A hosts file Envoy resolves names with instead of /etc/hosts: bind-mounted over /etc/hosts in a
   * mount namespace of Envoy's own (`unshare --mount`), which Envoy's c-ares resolver reads before
   * asking DNS. Tests' names then never reach the outside world.
   */
  hostsFile?: string;
}

/** The dynamic resource lists of `/config_dump`, by what they hold. */
const DUMP_SECTIONS = {
  listener: { type: 'ListenersConfigDump', list: 'dynamic_listeners' },
  cluster: { type: 'ClustersConfigDump', list: 'dynamic_active_clusters' },
  route: { type: 'RoutesConfigDump', list: 'dynamic_route_configs' },
} as const;

export type DumpKind = keyof typeof DUMP_SECTIONS;

export class Envoy {
  private constructor(
    readonly name: string,
    readonly adminUrl: string,
    readonly proc: Proc,
  ) {}

  static start(o: EnvoyOptions): Envoy {
    const config = path.join(o.dir, `${o.name}.bootstrap.json`);
    writeFileSync(config, JSON.stringify(o.bootstrap, null, 2));
    // No hot restart: each Envoy then needs no shared-memory base id, so any number of them
    // (and other engineers' test runs) coexist, and a killed one leaves nothing in /dev/shm.
    // One worker thread, since many Envoys share two cores. A replaced or removed listener
    // drains for 1 s instead of 10 min, so removals are over while a test still waits. File
    // access logs are written out every second instead of Envoy's default 10 s.
    const args = ['-c', config, '--disable-hot-restart', '--concurrency', '1', '-l', 'warning', '--drain-time-s', '1', '--file-flush-interval-msec', '1000'];
    const log = path.join(o.dir, `${o.name}.log`);
    // `exec` keeps Envoy the spawned process (unshare without --fork execs too), so stopping it stops Envoy.
    const proc = o.hostsFile
      ? spawnLogged(`envoy ${o.name}`, 'unshare', ['--mount', 'sh', '-c', 'mount --bind "$0" /etc/hosts && exec "$@"', o.hostsFile, envoyBin(), ...args], log)
      : spawnLogged(`envoy ${o.name}`, envoyBin(), args, log);
    return new Envoy(o.name, o.adminUrl, proc);
  }

  /** Waits until the admin API reports LIVE (with initial_fetch_timeout 0s: config received). */
  waitLive(timeoutMs = 15000): Promise<void> {
    return waitReady(this.proc, async () => (await get(`${this.adminUrl}/ready`, { timeoutMs: 1000 })).text.trim() === 'LIVE', timeoutMs);
  }

  async configDump(): Promise<{ configs: { '@type': string; [k: string]: unknown }[] }> {
    const r = await get(`${this.adminUrl}/config_dump`);
    if (r.status !== 200) throw new Error(`envoy ${this.name} /config_dump: ${r.status}`);
    return JSON.parse(r.text) as { configs: { '@type': string; [k: string]: unknown }[] };
  }

  /** The dynamic (xDS-delivered) entries of one kind in Envoy's config_dump. */
  async dynamic(kind: DumpKind): Promise<Record<string, unknown>[]> {
    const { type, list } = DUMP_SECTIONS[kind];
    const section = (await this.configDump()).configs.find((c) => c['@type'].endsWith(`.${type}`));
    return (section?.[list] ?? []) as Record<string, unknown>[];
  }

  async names(kind: DumpKind): Promise<string[]> {
    // Listeners nest under active_state, clusters and route configs under their own key.
    type Entry = { active_state?: { listener?: { name?: string } }; cluster?: { name?: string }; route_config?: { name?: string } };
    return ((await this.dynamic(kind)) as Entry[]).map((e) => e.active_state?.listener?.name ?? (e.cluster ?? e.route_config)?.name ?? '').filter(Boolean);
  }

  async waitForResource(kind: DumpKind, name: string, timeoutMs = 10000): Promise<number> {
    return waitFor(async () => (await this.names(kind)).includes(name), timeoutMs, `${kind} ${name} in envoy ${this.name}`);
  }

  /**
   * Stops Envoy, and then fails if it NACKed an update no check has reported or declared yet
   * (nacks.ts), so no test's Envoy rejects config unnoticed. An admin API that no longer answers
   * (Envoy died, or never got that far) leaves nothing to read; the test sees that another way.
   */
  async stop(): Promise<void> {
    const nacks = isRunning(this.proc) ? await new NackWatch(() => [this]).risen().catch(() => []) : [];
    await stop(this.proc);
    if (nacks.length > 0) throw new Error(`Envoy rejected an update (NACK) that no test expected:\n  ${nacks.join('\n  ')}`);
  }
}
