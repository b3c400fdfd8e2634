// Assembles a running Mast from its parts, in the one direction data flows:
// source -> ConfigStore -> (debounce) -> ViewCache(translate) -> XdsServer; admin reads them all.
import type { Logger as PinoLogger } from 'pino';
import { createAdminServer } from '../admin/server';
import { defaultStateDir, MeshCa, startFileCa, WorkloadCerts, type FileCa } from '../ca';
import { ConfigStore } from '../model';
import { watchConfigDir } from '../sources/files';
import { loadKubeConfig, watchKubernetes } from '../sources/kubernetes';
import { createTelemetry } from '../telemetry/metrics';
import { partsFor } from '../translate';
import { ViewCache } from '../xds/cache';
import { Debouncer } from '../xds/debounce';
import { XdsMetrics } from '../xds/metrics';
import { SdsSecrets } from '../xds/secrets';
import { XdsServer } from '../xds/server';
import { clusterDuties, type ClusterDuties, type ClusterOptions } from './cluster';
import { MeshFindings } from './findings';

/** Where the configuration comes from: a directory of YAML, or a cluster's API server. */
export type ConfigSource = { configDir: string } | { kubeconfig: string } | 'in-cluster';

export interface MastOptions {
  source: ConfigSource;
  xdsAddress: string;
  adminAddress: string;
  debounceMs: number;
  /** Kubernetes mode only: leader election, status, CA and webhook (src/server/cluster.ts). */
  cluster?: ClusterOptions;
  /** The SPIFFE trust domain of workload identities (`cluster.local` by default). */
  trustDomain?: string;
  /** Istio's root namespace, whose policies apply mesh-wide (`istio-system` by default). */
  rootNamespace?: string;
  /** The CA and the workload certificates it issues (src/ca/). */
  ca?: CaSettings;
  log: PinoLogger;
}

export interface CaSettings {
  /** A plugged-in CA in Istio's cacerts layout (`--ca-dir`); in Kubernetes mode it wins over the Secrets. */
  caDir?: string;
  /** File mode: where Mast keeps its own root (`--state-dir`, default $XDG_STATE_HOME/mast). */
  stateDir?: string;
  /** Workload certificate lifetime in ms (default 24 h). */
  workloadCertTtlMs?: number;
  /** Re-issued once this fraction of the lifetime is left (default 0.5). */
  workloadCertGrace?: number;
}

export interface RunningMast {
  xdsPort: number;
  adminPort: number;
  store: ConfigStore;
  xds: XdsServer;
  /** The mesh's CA: its signer, trust bundle and changes (rotation). */
  ca: MeshCa;
  close(): Promise<void>;
}

function splitAddress(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  if (i < 0) throw new Error(`address "${address}" is not HOST:PORT`);
  return { host: address.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(address.slice(i + 1)) };
}

interface StartedSource {
  ready: Promise<void>;
  close(): void;
  cluster?: ClusterDuties;
}

/** The chosen source, writing into `store`: `ready` once it has been read in full. */
function startSource(opts: MastOptions, store: ConfigStore, findings: MeshFindings): StartedSource {
  const { source, log } = opts;
  if (typeof source === 'object' && 'configDir' in source) {
    return watchConfigDir(source.configDir, store, log.child({ component: 'files' }), { debounceMs: 50 });
  }
  const kc = loadKubeConfig(source);
  const cluster = opts.cluster && clusterDuties(kc, store, findings, opts.cluster, log);
  const watch = watchKubernetes(kc, store, log.child({ component: 'kubernetes' }), { observer: cluster?.observer });
  return { ...watch, cluster };
}

export async function startMast(opts: MastOptions): Promise<RunningMast> {
  const { log } = opts;
  const telemetry = createTelemetry();
  const store = new ConfigStore({ log: log.child({ component: 'model' }), trustDomain: opts.trustDomain, rootNamespace: opts.rootNamespace });
  const views = new ViewCache((proxy) => partsFor(proxy.role), log.child({ component: 'translate' }));
  let xds: XdsServer | undefined;
  const metrics = new XdsMetrics(telemetry.meter, () => xds?.counts() ?? { sotw: 0, delta: 0 });
  const fileMode = typeof opts.source === 'object' && 'configDir' in opts.source;
  const caLog = log.child({ component: 'ca' });
  const ca = new MeshCa({ trustDomain: opts.trustDomain ?? 'cluster.local', log: caLog, meter: telemetry.meter });
  const workloadCerts = new WorkloadCerts(ca, { ttlMs: opts.ca?.workloadCertTtlMs, grace: opts.ca?.workloadCertGrace, log: caLog, meter: telemetry.meter });
  const secrets = new SdsSecrets(ca, workloadCerts, log.child({ component: 'sds' }));
  // A CA from files is there before anything is served; one from Secrets follows the election.
  const fileCa: FileCa | undefined = fileMode || opts.ca?.caDir !== undefined
    ? await startFileCa(ca, { caDir: opts.ca?.caDir, stateDir: opts.ca?.stateDir ?? defaultStateDir(), log: caLog })
    : undefined;
  xds = new XdsServer({ views, metrics, log: log.child({ component: 'xds' }), snapshot: () => store.snapshot(), requirePod: !fileMode, secrets });
  const server = xds;
  const findings = new MeshFindings(store, views, log.child({ component: 'translate' }));
  // The cap keeps a steady stream of edits from postponing pushes indefinitely.
  const debouncer = new Debouncer(opts.debounceMs, Math.max(opts.debounceMs * 10, 1000), (changedAt) => {
    server.push(changedAt);
    findings.refresh();
  });
  store.on('change', () => debouncer.trigger());

  const watcher = startSource(opts, store, findings);
  await watcher.ready;
  let ready = false;
  let broken: string | undefined;
  const admin = createAdminServer({
    ready: () => ready,
    broken: () => broken,
    syncz: () => server.status(),
    configFor: (id) => server.configFor(id),
    diagnostics: () => findings.current(),
    translationErrors: () => [...views.errors.values()],
    generation: () => store.snapshot().generation,
    exporter: telemetry.exporter,
  }, log.child({ component: 'admin' }));

  const xdsAddr = splitAddress(opts.xdsAddress);
  const xdsPort = await server.listen(`${xdsAddr.host.includes(':') ? `[${xdsAddr.host}]` : xdsAddr.host}:${xdsAddr.port}`);
  const adminAddr = splitAddress(opts.adminAddress);
  await admin.listen({ host: adminAddr.host, port: adminAddr.port });
  const adminPort = (admin.server.address() as { port: number }).port;
  ready = true;
  log.info({ xds: `${xdsAddr.host}:${xdsPort}`, admin: `${adminAddr.host}:${adminPort}`, generation: store.snapshot().generation }, 'mast serving');
  // Not awaited: the webhook and xDS over TLS wait for the CA Secret, which only a leader
  // creates, and plaintext xDS must not wait for an election.
  const duties = watcher.cluster?.start(server, ca).catch((err: unknown) => {
    broken = `the webhook or xDS over TLS could not start: ${err instanceof Error ? err.message : String(err)}`;
    log.error({ err }, broken);
  });

  return {
    xdsPort,
    adminPort,
    store,
    xds: server,
    ca,
    async close() {
      ready = false;
      debouncer.cancel();
      watcher.close();
      fileCa?.close();
      await Promise.all([server.close(), admin.close(), watcher.cluster?.close()]);
      workloadCerts.close();
      ca.close();
      await duties;
      await telemetry.shutdown();
    },
  };
}
