// Mast itself, run from source exactly as a user runs `mast serve`.
import path from 'node:path';
import { freePort, get, getJson } from './net';
import { spawnLogged, stop, waitReady, type Proc } from './processes';

const ROOT = path.join(__dirname, '..', '..');

export interface StartOptions {
  /** Where to serve xDS over TLS (`HOST:PORT`): a free port by default, a restart reuses the old one. */
  xdsTls?: string;
  /** Also serve plaintext xDS without authentication (`--insecure-xds`), at `xdsAddress`. */
  insecureXds?: boolean;
  args?: string[];
  /** The process's name in the harness and its log file's (`NAME.log`); `mast` by default. */
  name?: string;
  /** Where to serve plaintext xDS with `insecureXds` (`HOST:PORT`) and the admin API (`http://HOST:PORT`): free ports by default, a restart reuses the old ones. */
  xdsAddress?: string;
  adminUrl?: string;
  /** The bearer token /debug/* needs (Kubernetes mode). */
  debugToken?: string;
  until?: (mast: Mast) => Promise<boolean>;
  /** How long `until` may take: 30 s by default; a bench's 1000-service mesh on a busy machine needs more. */
  readyTimeoutMs?: number;
}

export class Mast {
  private constructor(
    /** Where xDS over TLS is served: where the mesh's Envoys connect. */
    readonly xdsTlsAddress: string,
    readonly adminUrl: string,
    readonly proc: Proc,
    /** Where plaintext xDS is served, with `insecureXds`. */
    readonly xdsAddress: string | undefined,
    private readonly debugToken: string | undefined,
  ) {}

  /**
   * `sourceArgs`: the flags that choose the source (`--config-dir DIR`, `--kubeconfig FILE`).
   * Mast serves xDS over TLS (authenticated), and plaintext as well with `insecureXds`. `args`:
   * more `mast serve` flags. `until`: what started means, by default /readyz answering 200.
   */
  static async start(sourceArgs: string[], logDir: string, o: StartOptions = {}): Promise<Mast> {
    const tls = o.xdsTls ?? `127.0.0.1:${await freePort()}`;
    const xds = o.insecureXds ? o.xdsAddress ?? `127.0.0.1:${await freePort()}` : undefined;
    const admin = o.adminUrl?.replace(/^http:\/\//, '') ?? `127.0.0.1:${await freePort()}`;
    const args = ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'serve', ...sourceArgs, '--xds-tls-address', tls, '--admin-address', admin, '--debounce-ms', '100', ...(o.args ?? [])];
    if (xds) args.push('--insecure-xds', '--xds-address', xds);
    const proc = spawnLogged(o.name ?? 'mast', process.execPath, args, path.join(logDir, `${o.name ?? 'mast'}.log`));
    const mast = new Mast(tls, `http://${admin}`, proc, xds, o.debugToken);
    const until = o.until ?? (async (m: Mast) => (await get(`${m.adminUrl}/readyz`, { timeoutMs: 1000 })).status === 200);
    await waitReady(mast.proc, () => until(mast), o.readyTimeoutMs ?? 30000);
    return mast;
  }

  /** A GET of `/debug/...` with the credential it needs. */
  private debug<T>(pathAndQuery: string): Promise<T> {
    return getJson<T>(`${this.adminUrl}${pathAndQuery}`, this.debugToken ? { headers: { authorization: `Bearer ${this.debugToken}` } } : {});
  }

  /** What Mast would send one proxy (`/debug/config_dump?proxy=ID`). */
  configDump<T = unknown>(proxyId: string): Promise<T> {
    return this.debug<T>(`/debug/config_dump?proxy=${encodeURIComponent(proxyId)}`);
  }

  syncz<T = unknown>(): Promise<T> {
    return this.debug<T>('/debug/syncz');
  }

  /** Every current finding about the config (`/debug/diagnostics`). */
  diagnostics<T = unknown>(): Promise<T> {
    return this.debug<T>('/debug/diagnostics');
  }

  stop(): Promise<void> {
    return stop(this.proc);
  }
}
