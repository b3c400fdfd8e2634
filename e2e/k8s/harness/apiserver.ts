// A real Kubernetes control plane for tests, as controller-runtime's envtest makes one: etcd,
// kube-apiserver and kube-controller-manager (with the EndpointSlice controllers) on 127.0.0.1,
// with generated certificates and admin credentials. The binaries come from `make kube-bins`
// (tools/kube/, built from the Go module proxy at the pinned release) or KUBE_APISERVER_BIN /
// KUBE_CONTROLLER_MANAGER_BIN / ETCD_BIN. Every process and the temp dir are registered with
// ../../harness/processes, so its `cleanup()` removes them even when a test fails.
//
// There is no kubelet and no scheduler: `setPodStatus` binds a Pod to a harness-made Node and
// writes its status as a kubelet would, which is what makes the EndpointSlice controller list it.
import { KubeConfig } from '@kubernetes/client-node';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { freePort, get } from '../../harness/net';
import { spawnLogged, stop, tempDir, waitReady, type Proc } from '../../harness/processes';
import { makeKubeCerts, writeCerts, type KubeCertFiles, type KubeCerts } from './certs';

export { DEFAULT_NODE, ensureNode, setPodStatus, type PodStatusOptions } from './kubelet';

const REPO = path.resolve(__dirname, '..', '..', '..');
const GO_MOD = path.join(REPO, 'tools', 'kube', 'go.mod');

export interface KubeBins {
  kubeVersion: string;
  etcdVersion: string;
  apiserver: string;
  controllerManager: string;
  etcd: string;
}

/** The pinned versions, read from tools/kube/go.mod (the one place they are written). */
export function pinnedVersions(): { kube: string; etcd: string } {
  const mod = readFileSync(GO_MOD, 'utf8');
  const kube = /^require k8s\.io\/kubernetes v(\S+)/m.exec(mod)?.[1];
  const etcd = /^\s*go\.etcd\.io\/etcd\/server\/v3 (v\S+)/m.exec(mod)?.[1];
  if (!kube || !etcd) throw new Error(`cannot read the pinned Kubernetes and etcd versions from ${GO_MOD}`);
  return { kube, etcd };
}

/** Where tools/kube/build.sh puts the binaries (it computes the same path). */
export function kubeCacheDir(kubeVersion = pinnedVersions().kube): string {
  const root = process.env['MAST_KUBE_CACHE'] || path.join(process.env['XDG_CACHE_HOME'] || path.join(os.homedir(), '.cache'), 'mast');
  return path.join(root, `k8s-${kubeVersion}`);
}

/** The binaries to run: the override variables, else the `make kube-bins` cache. */
export function kubeBins(): KubeBins {
  const v = pinnedVersions();
  const dir = kubeCacheDir(v.kube);
  const pick = (envVar: string, name: string): string => {
    const bin = process.env[envVar] || path.join(dir, name);
    if (!existsSync(bin)) throw new Error(`no ${name} at ${bin}: run \`make kube-bins\` (builds Kubernetes v${v.kube} from the Go module proxy) or set ${envVar}`);
    return bin;
  };
  return {
    kubeVersion: v.kube,
    etcdVersion: v.etcd,
    apiserver: pick('KUBE_APISERVER_BIN', 'kube-apiserver'),
    controllerManager: pick('KUBE_CONTROLLER_MANAGER_BIN', 'kube-controller-manager'),
    etcd: pick('ETCD_BIN', 'etcd'),
  };
}

/**
 * The controllers kube-controller-manager runs: EndpointSlices from Services and Pods (and mirrored
 * from custom Endpoints), the `default` ServiceAccount of each namespace (Pods cannot be created
 * without it), namespace deletion, the garbage collector (so a deleted Service's EndpointSlices
 * go, through their ownerReferences), and the kube-root-ca.crt ConfigMap.
 */
export const DEFAULT_CONTROLLERS = [
  'endpointslice-controller',
  'endpointslice-mirroring-controller',
  'serviceaccount-controller',
  'serviceaccount-token-controller',
  'namespace-controller',
  'garbage-collector-controller',
  'root-ca-certificate-publisher-controller',
];

export interface StartKubeOptions {
  /** Controllers for kube-controller-manager's --controllers (default DEFAULT_CONTROLLERS). */
  controllers?: string[];
  /** --service-cluster-ip-range (default 10.96.0.0/16; virtual, nothing is ever sent there). */
  serviceCidr?: string;
  /** Extra kube-apiserver flags, e.g. `--feature-gates=...`. */
  apiserverArgs?: string[];
  /** How long each process may take to become ready (default 120 s: a busy 2-core machine). */
  timeoutMs?: number;
}

export interface KubeTimings {
  /** Certificates generated. */
  certsMs: number;
  etcdMs: number;
  apiserverMs: number;
  controllerManagerMs: number;
  totalMs: number;
}

export interface Kube {
  /** An admin kubeconfig (client certificate in system:masters). */
  kubeconfigPath: string;
  /** `https://127.0.0.1:PORT`. */
  server: string;
  /** The temp dir holding certificates, data and logs (kept when MAST_E2E_KEEP is set). */
  dir: string;
  etcdUrl: string;
  certs: KubeCerts;
  files: KubeCertFiles;
  bins: KubeBins;
  timings: KubeTimings;
  /** A fresh @kubernetes/client-node KubeConfig loaded from kubeconfigPath. */
  kubeConfig(): KubeConfig;
  /** The current kube-apiserver and controller-manager processes (replaced by a restart). */
  procs(): { etcd: Proc; apiserver: Proc; controllerManager: Proc };
  /**
   * Stops kube-apiserver and starts it again on the same port with the same etcd data, which
   * breaks every watch; resolves (with the milliseconds it took) when /readyz is OK again.
   * `downMs` keeps it down that long before the restart; `crash` kills it with SIGKILL instead of
   * a graceful SIGTERM (connections are then cut with no GOAWAY).
   */
  restartApiserver(opts?: { downMs?: number; crash?: boolean }): Promise<number>;
  /** Stops controller-manager, apiserver and etcd, in that order. The temp dir goes at cleanup(). */
  stop(): Promise<void>;
}

/** A GET over TLS with the admin client certificate, trusting only the harness CA. */
export function adminGet(url: string, certs: KubeCerts, timeoutMs = 2000): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      url,
      { ca: certs.ca.certPem, cert: certs.admin.certPem, key: certs.admin.keyPem, agent: false, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

/** A GET over TLS that trusts any certificate (kube-controller-manager's self-signed /healthz). */
function insecureGet(url: string, timeoutMs = 2000): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { rejectUnauthorized: false, agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

function writeKubeconfig(file: string, server: string, certs: KubeCerts): void {
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'mast-e2e', cluster: { server, 'certificate-authority-data': b64(certs.ca.certPem) } }],
    users: [{ name: 'mast-e2e-admin', user: { 'client-certificate-data': b64(certs.admin.certPem), 'client-key-data': b64(certs.admin.keyPem) } }],
    contexts: [{ name: 'mast-e2e', context: { cluster: 'mast-e2e', user: 'mast-e2e-admin', namespace: 'default' } }],
    'current-context': 'mast-e2e',
  };
  writeFileSync(file, stringify(config), { mode: 0o600 });
}

const since = (t: number): number => Math.round(performance.now() - t);

/** Starts etcd, kube-apiserver and kube-controller-manager; resolves once all three are ready. */
export async function startKube(o: StartKubeOptions = {}): Promise<Kube> {
  const t0 = performance.now();
  const bins = kubeBins();
  const timeoutMs = o.timeoutMs ?? 120_000;
  const dir = tempDir('kube');

  const certs = await makeKubeCerts();
  const files = writeCerts(certs, dir);
  const certsMs = since(t0);

  // etcd: one member, plain HTTP on loopback, no fsync (test data; much faster on a shared disk).
  let t = performance.now();
  const [etcdClientPort, etcdPeerPort] = [await freePort(), await freePort()];
  const etcdUrl = `http://127.0.0.1:${etcdClientPort}`;
  const peerUrl = `http://127.0.0.1:${etcdPeerPort}`;
  const etcd = spawnLogged(
    'etcd',
    bins.etcd,
    [
      '--name=mast-e2e',
      `--data-dir=${path.join(dir, 'etcd-data')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=mast-e2e=${peerUrl}`,
      '--initial-cluster-state=new',
      '--unsafe-no-fsync',
      '--log-level=warn',
    ],
    path.join(dir, 'etcd.log'),
  );
  await waitReady(etcd, async () => (await get(`${etcdUrl}/health`, { timeoutMs: 1000 })).text.includes('"health":"true"'), timeoutMs);
  const etcdMs = since(t);

  // kube-apiserver
  t = performance.now();
  const apiPort = await freePort();
  const server = `https://127.0.0.1:${apiPort}`;
  const apiserverArgs = [
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${apiPort}`,
    `--cert-dir=${dir}`,
    `--tls-cert-file=${files.servingCert}`,
    `--tls-private-key-file=${files.servingKey}`,
    `--client-ca-file=${files.caCert}`,
    `--etcd-servers=${etcdUrl}`,
    '--authorization-mode=Node,RBAC',
    `--service-cluster-ip-range=${o.serviceCidr ?? '10.96.0.0/16'}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${files.saPub}`,
    `--service-account-signing-key-file=${files.saKey}`,
    // The apiserver would publish its own address (127.0.0.1) as the `kubernetes` Service's
    // endpoints, which validation refuses (loopback): no reconciler, no error every 10 s.
    '--endpoint-reconciler-type=none',
    '--allow-privileged=true',
    // On SIGTERM, stop once in-flight requests are done and give open watches 2 s (a GOAWAY),
    // instead of waiting up to --request-timeout (60 s) for watch connections to go idle.
    '--shutdown-send-retry-after=true',
    ...(o.apiserverArgs ?? []),
  ];
  const apiserverLog = path.join(dir, 'kube-apiserver.log');
  const startApiserver = (): Proc => spawnLogged('kube-apiserver', bins.apiserver, apiserverArgs, apiserverLog);
  const apiserverReady = async (): Promise<boolean> => (await adminGet(`${server}/readyz`, certs)).status === 200;
  let apiserver = startApiserver();
  await waitReady(apiserver, apiserverReady, timeoutMs);
  const apiserverMs = since(t);

  const kubeconfigPath = path.join(dir, 'admin.kubeconfig');
  writeKubeconfig(kubeconfigPath, server, certs);

  // kube-controller-manager: serves /healthz on a random port (self-signed) for the readiness check.
  t = performance.now();
  const kcmPort = await freePort();
  const kcmCertDir = path.join(dir, 'kcm-certs');
  const controllerManager = spawnLogged(
    'kube-controller-manager',
    bins.controllerManager,
    [
      `--kubeconfig=${kubeconfigPath}`,
      `--authentication-kubeconfig=${kubeconfigPath}`,
      `--authorization-kubeconfig=${kubeconfigPath}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${kcmPort}`,
      `--cert-dir=${kcmCertDir}`,
      `--controllers=${(o.controllers ?? DEFAULT_CONTROLLERS).join(',')}`,
      `--service-account-private-key-file=${files.saKey}`,
      `--root-ca-file=${files.caCert}`,
      '--use-service-account-credentials=false',
      '--leader-elect=false',
    ],
    path.join(dir, 'kube-controller-manager.log'),
  );
  await waitReady(controllerManager, async () => (await insecureGet(`https://127.0.0.1:${kcmPort}/healthz`)).status === 200, timeoutMs);
  const controllerManagerMs = since(t);

  const kube: Kube = {
    kubeconfigPath,
    server,
    dir,
    etcdUrl,
    certs,
    files,
    bins,
    timings: { certsMs, etcdMs, apiserverMs, controllerManagerMs, totalMs: since(t0) },
    kubeConfig() {
      const kc = new KubeConfig();
      kc.loadFromFile(kubeconfigPath);
      return kc;
    },
    procs: () => ({ etcd, apiserver, controllerManager }),
    async restartApiserver(r = {}) {
      const start = performance.now();
      if (r.crash) {
        apiserver.child.kill('SIGKILL');
        await apiserver.exited;
      } else await stop(apiserver, 10_000);
      if (r.downMs) await new Promise((res) => setTimeout(res, r.downMs));
      apiserver = startApiserver();
      await waitReady(apiserver, apiserverReady, timeoutMs);
      return since(start);
    },
    async stop() {
      await stop(controllerManager);
      await stop(apiserver, 10_000);
      await stop(etcd);
    },
  };
  return kube;
}
