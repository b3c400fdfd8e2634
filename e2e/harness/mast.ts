// Mast itself, run from source exactly as a user runs `mast serve`.
import path from 'node:path';
import { freePort, get, getJson } from './net';
import { spawnLogged, stop, waitReady, type Proc } from './processes';

const ROOT = path.join(__dirname, '..', '..');

export interface StartOptions {
  xdsTls?: boolean | string;
  args?: string[];
  /** The process's name in the harness and its log file's (`NAME.log`); `mast` by default. */
  name?: string;
  /** Where to serve xDS (`HOST:PORT`) and the admin API (`http://HOST:PORT`): free ports by default, a restart reuses the old ones. */
  xdsAddress?: string;
  adminUrl?: string;
  until?: (mast: Mast) => Promise<boolean>;
}

export class Mast {
  private constructor(
    readonly xdsAddress: string,
    readonly adminUrl: string,
    readonly proc: Proc,
    /** Where xDS over TLS is served, when asked for. */
    readonly xdsTlsAddress?: string,
  ) {}

  /**
   * `sourceArgs`: the flags that choose the source (`--config-dir DIR`, `--kubeconfig FILE`).
   * `xdsTls`: also serve xDS over TLS (Kubernetes mode only), as the manifests' Deployment does:
   * true picks a free port, a string is the address. `args`: more `mast serve` flags. `until`:
   * what started means, by default /readyz answering 200.
   */
  static async start(sourceArgs: string[], logDir: string, o: StartOptions = {}): Promise<Mast> {
    const xds = o.xdsAddress ?? `127.0.0.1:${await freePort()}`;
    const admin = o.adminUrl?.replace(/^http:\/\//, '') ?? `127.0.0.1:${await freePort()}`;
    const tls = typeof o.xdsTls === 'string' ? o.xdsTls : o.xdsTls ? `127.0.0.1:${await freePort()}` : undefined;
    const args = ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'serve', ...sourceArgs, '--xds-address', xds, '--admin-address', admin, '--debounce-ms', '100', ...(o.args ?? [])];
    if (tls) args.push('--xds-tls-address', tls);
    const mast = new Mast(xds, `http://${admin}`, spawnLogged(o.name ?? 'mast', process.execPath, args, path.join(logDir, `${o.name ?? 'mast'}.log`)), tls);
    const until = o.until ?? (async (m: Mast) => (await get(`${m.adminUrl}/readyz`, { timeoutMs: 1000 })).status === 200);
    await waitReady(mast.proc, () => until(mast), 30000);
    return mast;
  }

  /** What Mast would send one proxy (`/debug/config_dump?proxy=ID`). */
  configDump<T = unknown>(proxyId: string): Promise<T> {
    return getJson<T>(`${this.adminUrl}/debug/config_dump?proxy=${encodeURIComponent(proxyId)}`);
  }

  syncz<T = unknown>(): Promise<T> {
    return getJson<T>(`${this.adminUrl}/debug/syncz`);
  }

  /** Every current finding about the config (`/debug/diagnostics`). */
  diagnostics<T = unknown>(): Promise<T> {
    return getJson<T>(`${this.adminUrl}/debug/diagnostics`);
  }

  stop(): Promise<void> {
    return stop(this.proc);
  }
}
