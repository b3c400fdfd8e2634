// istiod (`pilot-discovery discovery`, built by `make pilot-discovery` from the Go module proxy at
// the Istio revision the project pins) run outside a cluster against the bench's kube-apiserver
// (bench/lib/kube-mesh.ts), as a target of the xDS load bench.
//
// Out of a cluster, istiod needs (pilot/cmd/pilot-discovery/app/cmd.go, pilot/pkg/bootstrap/):
// - `--kubeconfig`: its Kubernetes registry and config store read the API server with it.
// - its own namespace (POD_NAMESPACE, default istio-system) to exist: its self-signed CA keeps
//   `istio-ca-secret` there, and leader election its leases.
// - a working directory of its own: it resolves `./etc/istio/config/mesh` (absent: the default
//   MeshConfig), `./etc/cacerts` (absent: a self-signed root) and writes its serving certificate
//   under `./var/run/secrets/istio-dns` relative to it.
// - every listener moved off its default `:PORT` (all interfaces): here each is on ISTIOD_HOST, a
//   loopback address nothing else in the repo uses, on a free port.
// The plaintext xDS port (`--grpcAddr`, Istio's 15010) needs no authentication
// (pilot/pkg/xds/auth.go), which is what the load client speaks, as it does to Mast's
// `--insecure-xds` and to the go-control-plane peer.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { freePort, get } from '../../e2e/harness/net';
import { spawnLogged, waitReady, type Proc } from '../../e2e/harness/processes';

const ROOT = path.join(__dirname, '..', '..');
/** istiod's loopback address: every one of its listeners is here (127.0.10.0/24 is unused elsewhere). */
export const ISTIOD_HOST = '127.0.10.1';
const READY_TIMEOUT_MS = 300_000;

/**
 * istiod's push tuning (pilot/pkg/features/tuning.go). `default`: nothing set, so istiod picks its
 * own: PILOT_DEBOUNCE_AFTER 100 ms, PILOT_DEBOUNCE_MAX 10 s, PILOT_PUSH_THROTTLE and
 * PILOT_MAX_REQUESTS_PER_SECOND 15+5*GOMAXPROCS (25 on 2 cores; a new stream that waits over 1 s
 * for the latter is refused with RESOURCE_EXHAUSTED, and the proxy retries), PILOT_ENABLE_EDS_DEBOUNCE
 * true. `mast`: Mast's: it waits 100 ms after the last change and at most 10x that (1 s) after the
 * first, pushes an endpoint-only change at once after a quiet second (src/server/mast.ts,
 * src/xds/debounce.ts), and caps neither concurrent pushes nor new streams. The nearest istiod
 * has to the last is PILOT_ENABLE_EDS_DEBOUNCE=false, which pushes every endpoint-only change at
 * once, in a burst too.
 */
export type IstiodPush = 'default' | 'mast';

export const PUSH_ENV: Record<IstiodPush, Record<string, string>> = {
  default: {},
  mast: {
    PILOT_DEBOUNCE_AFTER: '100ms',
    PILOT_DEBOUNCE_MAX: '1s',
    PILOT_ENABLE_EDS_DEBOUNCE: 'false',
    // No cap: more than any bench run has proxies.
    PILOT_PUSH_THROTTLE: '100000',
    // 0 turns the new-stream rate limit off (pilot/pkg/xds/discovery.go WaitForRequestLimit).
    PILOT_MAX_REQUESTS_PER_SECOND: '0',
  },
};

/** The pilot-discovery binary: PILOT_DISCOVERY_BIN, else where `make pilot-discovery` puts it. */
export function pilotDiscoveryBin(): string {
  const bin = process.env['PILOT_DISCOVERY_BIN'] || execFileSync(path.join(ROOT, 'tools/istio/build.sh'), ['pilot-discovery', '--bin'], { encoding: 'utf8' }).trim();
  if (!existsSync(bin)) throw new Error(`no pilot-discovery at ${bin}: run \`make pilot-discovery\` (builds istiod from the Go module proxy, ~7 min) or set PILOT_DISCOVERY_BIN`);
  return bin;
}

export interface Istiod {
  proc: Proc;
  /** Plaintext xDS (`--grpcAddr`), HOST:PORT. */
  xdsAddress: string;
  /** `--httpAddr`: /ready and /debug/*. */
  httpUrl: string;
  /** `--monitoringAddr`: /metrics. */
  monitoringUrl: string;
}

/**
 * Starts istiod on `kubeconfig`'s cluster with the `push` tuning, logging to `logDir/istiod.log`
 * and working in `logDir/istiod/`; resolves when /ready on its httpAddr answers 200, which istiod
 * gives once its informers have synced and its first push context is built
 * (pilot/pkg/bootstrap/server.go, the readiness probe of istiod's Deployment).
 */
export async function startIstiod(kubeconfig: string, logDir: string, push: IstiodPush): Promise<Istiod> {
  const bin = pilotDiscoveryBin();
  const cwd = path.join(logDir, 'istiod');
  mkdirSync(cwd, { recursive: true });
  const at = async (): Promise<string> => `${ISTIOD_HOST}:${await freePort(ISTIOD_HOST)}`;
  const [grpc, secureGrpc, http, https, monitoring] = [await at(), await at(), await at(), await at(), await at()];
  const args = [
    'discovery',
    `--kubeconfig=${kubeconfig}`,
    `--grpcAddr=${grpc}`,
    `--secureGRPCAddr=${secureGrpc}`,
    `--httpAddr=${http}`,
    `--httpsAddr=${https}`,
    `--monitoringAddr=${monitoring}`,
    `--ctrlz_address=${ISTIOD_HOST}`,
    `--ctrlz_port=${await freePort(ISTIOD_HOST)}`,
    // Mast runs with --log-level warn: neither pays for a log line per connection.
    '--log_output_level=all:warn',
  ];
  const env: NodeJS.ProcessEnv = { ...process.env, POD_NAMESPACE: 'istio-system', POD_NAME: 'istiod-bench', ...PUSH_ENV[push] };
  // In a Pod these would make istiod use the in-cluster config; the bench gives it a kubeconfig.
  delete env['KUBERNETES_SERVICE_HOST'];
  delete env['KUBERNETES_SERVICE_PORT'];
  const proc = spawnLogged('istiod', bin, args, path.join(logDir, 'istiod.log'), env, cwd);
  const httpUrl = `http://${http}`;
  await waitReady(proc, async () => (await get(`${httpUrl}/ready`, { timeoutMs: 1000 })).status === 200, READY_TIMEOUT_MS);
  return { proc, xdsAddress: grpc, httpUrl, monitoringUrl: `http://${monitoring}` };
}
