// The two servers the benchmark loads, each a child process started the way its users start it:
// Mast with `mast serve` on the config dir, and the go-control-plane peer on the resources Mast's
// translation makes from the same dir. The process helpers are the e2e harness's, so a failed or
// interrupted run leaves no process behind.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort, get } from '../../e2e/harness/net';
import { spawnLogged, stop, waitReady, type Proc } from '../../e2e/harness/processes';
import { snapshotFromYaml } from '../../src/model';
import { translate } from '../../src/translate';
import type { ProxyClass, ResourceSet } from '../../src/translate/types';
import { fileName, readMesh, rewriteService } from '../mesh-gen';

const ROOT = path.join(__dirname, '..', '..');
const PEER_DIR = path.join(ROOT, 'bench', 'peer');
export const PEER_BIN = path.join(PEER_DIR, 'bin', 'peer');
const READY_TIMEOUT_MS = 180_000;

export type TargetName = 'mast' | 'peer';

export interface Target {
  name: TargetName;
  proc: Proc;
  pid: number;
  xdsAddress: string;
  adminUrl: string;
  /** Gives service `i` the endpoint addresses `ips`; returns the moment the change was handed over. */
  change(i: number, ips: string[]): number;
  stop(): Promise<void>;
}

async function addresses(): Promise<{ xds: string; admin: string }> {
  return { xds: `127.0.0.1:${await freePort()}`, admin: `127.0.0.1:${await freePort()}` };
}

async function started(name: TargetName, proc: Proc, xds: string, admin: string, change: Target['change']): Promise<Target> {
  const adminUrl = `http://${admin}`;
  await waitReady(proc, async () => (await get(`${adminUrl}/readyz`, { timeoutMs: 1000 })).status === 200, READY_TIMEOUT_MS);
  const pid = proc.child.pid;
  if (pid === undefined) throw new Error(`${name} has no pid`);
  return { name, proc, pid, xdsAddress: xds, adminUrl, change, stop: () => stop(proc) };
}

export async function startMast(configDir: string, logDir: string): Promise<Target> {
  const { xds, admin } = await addresses();
  // BENCH_MAST_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" profiles the server (NODE_OPTIONS refuses --cpu-prof).
  const nodeArgs = (process.env['BENCH_MAST_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
  const args = [...nodeArgs, '--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'serve', '--config-dir', configDir, '--state-dir', path.join(logDir, 'state'), '--xds-address', xds, '--admin-address', admin, '--log-level', 'warn',
    // Plaintext and unauthenticated, as the peer it is compared with; TLS on a port of its own.
    '--insecure-xds', '--xds-tls-address', `127.0.0.1:${await freePort()}`];
  const proc = spawnLogged('mast', process.execPath, args, path.join(logDir, 'mast.log'));
  return started('mast', proc, xds, admin, (i, ips) => {
    const at = performance.now();
    rewriteService(configDir, i, ips);
    return at;
  });
}

/** What Mast's translation makes of the config dir for one proxy class: the peer's input. */
export function translateMesh(configDir: string, proxy: ProxyClass): ResourceSet {
  const { snapshot } = snapshotFromYaml(readMesh(configDir), configDir);
  return translate(snapshot, proxy);
}

/**
 * `current` after service `i`'s file changed: its ClusterLoadAssignments (the service's and its
 * subsets') translated from that file alone, in place of the old ones. A CLA depends only on its
 * Service, EndpointSlice, Pods and DestinationRule, all in the service's file (mesh-gen.ts); the
 * result equals a translation of the whole dir (checked for services with and without subsets),
 * which takes seconds at 1000 services and would hold the load client's event loop for longer than
 * a churn's interval (bench/xds-load.ts).
 */
function withServiceEndpoints(current: ResourceSet, configDir: string, i: number, proxy: ProxyClass): ResourceSet {
  const { snapshot } = snapshotFromYaml(readFileSync(path.join(configDir, fileName(i)), 'utf8'), configDir);
  const fresh = new Map(translate(snapshot, proxy).endpoints.map((e) => [e.name, e]));
  return { ...current, endpoints: current.endpoints.map((e) => fresh.get(e.name) ?? e) };
}

export async function startPeer(configDir: string, logDir: string, proxy: ProxyClass): Promise<Target> {
  buildPeer();
  const file = path.join(logDir, 'peer-resources.json');
  const aside = `${file}.new`;
  let resources = translateMesh(configDir, proxy);
  writeFileSync(file, JSON.stringify(resources));
  const { xds, admin } = await addresses();
  const proc = spawnLogged('peer', PEER_BIN, ['-xds-address', xds, '-admin-address', admin, '-resources', file], path.join(logDir, 'peer.log'));
  return started('peer', proc, xds, admin, (i, ips) => {
    // The peer has no model: the change reaches it as a new set of resources, prepared before the
    // clock starts, then swapped in and announced with SIGHUP.
    rewriteService(configDir, i, ips);
    resources = withServiceEndpoints(resources, configDir, i, proxy);
    writeFileSync(aside, JSON.stringify(resources));
    const at = performance.now();
    renameSync(aside, file);
    proc.child.kill('SIGHUP');
    return at;
  });
}

function newestSource(): number {
  return Math.max(...readdirSync(PEER_DIR).filter((f) => /\.go$|^go\.(mod|sum)$/.test(f)).map((f) => statSync(path.join(PEER_DIR, f)).mtimeMs));
}

/** `go build`, unless the binary is newer than every source file. */
export function buildPeer(): void {
  let built = 0;
  try {
    built = statSync(PEER_BIN).mtimeMs;
  } catch {
    // not built yet
  }
  if (built > newestSource()) return;
  mkdirSync(path.dirname(PEER_BIN), { recursive: true });
  process.stderr.write('building the go-control-plane peer (go build; the first time fetches its modules)\n');
  execFileSync('go', ['build', '-o', PEER_BIN, '.'], { cwd: PEER_DIR, stdio: 'inherit', timeout: 15 * 60_000 });
}
