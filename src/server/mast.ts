// Assembles a running Mast from its parts, in the one direction data flows:
// source -> ConfigStore -> (debounce) -> ViewCache(translate) -> XdsServer; admin reads them all.
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger as PinoLogger } from 'pino';
import { createAdminServer } from '../admin/server';
import { defaultStateDir, MeshCa, startFileCa, WorkloadCerts, type FileCa, type RenewingCert } from '../ca';
import { keepBundleFile } from '../ca/bundle-file';
import { ConfigStore } from '../model';
import { credentialDir } from '../ca/credentials';
import { watchConfigDir } from '../sources/files';
import { watchMeshConfigFile } from '../sources/files/mesh-config-file';
import { loadKubeConfig, watchKubernetes } from '../sources/kubernetes';
import { kubeCredentials } from '../sources/kubernetes/credential-secrets';
import { createTelemetry } from '../telemetry/metrics';
import { ChangeTrace } from '../telemetry/push-trace';
import { startTracing } from '../telemetry/tracing';
import { partsFor } from '../translate';
import { ViewCache } from '../xds/cache';
import { Debouncer, endpointsOnly } from '../xds/debounce';
import { splitHostPort } from '../xds/listener';
import { CredentialSecrets, type CredentialClient } from '../xds/credentials';
import { sidecarCredentialNames } from '../policy/mtls/sidecar-credentials';
import { XdsMetrics } from '../xds/metrics';
import { SdsSecrets } from '../xds/secrets';
import { XdsServer } from '../xds/server';
import type { XdsLimits } from '../xds/limits';
import { accessFor, isLoopback, serveXdsTls } from './access';
import { clusterDuties, type ClusterDuties, type ClusterOptions } from './cluster';
import { MeshFindings } from './findings';

/** Where the configuration comes from: a directory of YAML, or a cluster's API server. */
export type ConfigSource = { configDir: string } | { kubeconfig: string } | 'in-cluster';

export interface MastOptions {
  source: ConfigSource;
  /** Plaintext xDS, served only with `insecureXds`. */
  xdsAddress: string;
  /**
   * `--insecure-xds`: also serve plaintext xDS at `xdsAddress`, without authentication (a stream
   * there is served as whoever it claims to be), for local development.
   */
  insecureXds?: boolean;
  /**
   * xDS over TLS, authenticated (Istio's 15012), in file mode; Kubernetes mode serves it from
   * `cluster.xdsTlsAddress` once the CA Secret is there.
   */
  xdsTlsAddress?: string;
  /** DNS names in the file-mode xDS certificate (Kubernetes mode: `cluster.serviceDnsNames`). */
  serviceDnsNames?: string[];
  /** Kubernetes mode: the audience a proxy's service-account token must be for (default `istio-ca`). */
  xdsTokenAudience?: string;
  adminAddress: string;
  debounceMs: number;
  /**
   * Debounce endpoint-only changes as any other (istiod's default, PILOT_ENABLE_EDS_DEBOUNCE=true).
   * Without it, an EndpointSlice change after a quiet spell is pushed at once (xds/debounce.ts).
   */
  edsDebounce?: boolean;
  /** Kubernetes mode only: leader election, status, CA and webhook (src/server/cluster.ts). */
  cluster?: ClusterOptions;
  /** The SPIFFE trust domain of workload identities (`cluster.local` by default). */
  trustDomain?: string;
  /** Istio's root namespace, whose policies apply mesh-wide (`istio-system` by default). */
  rootNamespace?: string;
  /**
   * Istio's MeshConfig YAML (`--mesh-config FILE`), watched; without it, the root namespace's
   * `istio` ConfigMap (its `mesh` key) is, in either mode, as istiod reads one or the other.
   */
  meshConfigFile?: string;
  /** The CA and the workload certificates it issues (src/ca/). */
  ca?: CaSettings;
  /**
   * `--otlp-endpoint`: export traces of the push pipeline by OTLP/HTTP to this base URL; without
   * it, OTEL_EXPORTER_OTLP_ENDPOINT (or _TRACES_ENDPOINT) does; with neither, none are made.
   */
  otlpEndpoint?: string;
  /** What one xDS client may make Mast hold (`--xds-max-*`, src/xds/limits.ts); defaults if unset. */
  xdsLimits?: XdsLimits;
  /** Response bytes in flight across all xDS streams (`--xds-inflight-bytes`, src/xds/inflight.ts). */
  xdsInflightBytes?: number;
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
  /** File mode: gateways' credentials (`credentialName`) as DIR/NAMESPACE/NAME/KEY files (`--credential-dir`). */
  credentialDir?: string;
}

export interface RunningMast {
  /** The plaintext xDS port, with `insecureXds`. */
  xdsPort?: number;
  adminPort: number;
  store: ConfigStore;
  xds: XdsServer;
  /** The mesh's CA: its signer, trust bundle and changes (rotation). */
  ca: MeshCa;
  close(): Promise<void>;
}

interface StartedSource {
  ready: Promise<void>;
  close(): void;
  cluster?: ClusterDuties;
}

/** The chosen source and the mesh config file, if any, writing into `store`: `ready` once both have been read in full. */
function startSource(opts: MastOptions, store: ConfigStore, findings: MeshFindings, kc: KubeConfig | undefined): StartedSource {
  const main = startConfigSource(opts, store, findings, kc);
  if (opts.meshConfigFile === undefined) return main;
  const mesh = watchMeshConfigFile(opts.meshConfigFile, store, opts.log.child({ component: 'mesh-config' }));
  return {
    ...main,
    ready: Promise.all([main.ready, mesh.ready]).then(() => undefined),
    close() {
      mesh.close();
      main.close();
    },
  };
}

function startConfigSource(opts: MastOptions, store: ConfigStore, findings: MeshFindings, kc: KubeConfig | undefined): StartedSource {
  const { source, log } = opts;
  if (typeof source === 'object' && 'configDir' in source) {
    return watchConfigDir(source.configDir, store, log.child({ component: 'files' }), { debounceMs: 50 });
  }
  if (!kc) throw new Error('Kubernetes mode needs a kubeconfig');
  const cluster = opts.cluster && clusterDuties(kc, store, findings, opts.cluster, log);
  const meshConfigNamespace = opts.meshConfigFile === undefined ? store.rootNamespace : undefined;
  const watch = watchKubernetes(kc, store, log.child({ component: 'kubernetes' }), { observer: cluster?.observer, ...(meshConfigNamespace === undefined ? {} : { meshConfigNamespace }) });
  return { ...watch, cluster };
}

export async function startMast(opts: MastOptions): Promise<RunningMast> {
  const { log } = opts;
  const telemetry = createTelemetry();
  const tracing = startTracing({ endpoint: opts.otlpEndpoint });
  if (tracing) log.info({ otlp: tracing.url }, `exporting traces of the push pipeline to ${tracing.url}`);
  const changes = new ChangeTrace();
  const store = new ConfigStore({ log: log.child({ component: 'model' }), trustDomain: opts.trustDomain, rootNamespace: opts.rootNamespace, ...(opts.meshConfigFile === undefined ? {} : { meshConfigFile: opts.meshConfigFile }) });
  const views = new ViewCache((proxy) => partsFor(proxy.role), log.child({ component: 'translate' }));
  let xds: XdsServer | undefined;
  const metrics = new XdsMetrics(telemetry.meter, () => xds?.counts() ?? { sotw: 0, delta: 0 });
  const fileMode = typeof opts.source === 'object' && 'configDir' in opts.source;
  const xdsAddr = splitHostPort(opts.xdsAddress);
  // Anything that reaches it can claim any Pod: in a cluster, that is every Pod's network.
  if (opts.insecureXds && !fileMode && !isLoopback(xdsAddr.host)) {
    throw new Error(`--insecure-xds in Kubernetes mode serves only on a loopback address, not ${xdsAddr.host}: proxies in the cluster authenticate over TLS (--xds-tls-address)`);
  }
  const kc = typeof opts.source === 'object' && 'configDir' in opts.source ? undefined : loadKubeConfig(opts.source);
  const stateDir = opts.ca?.stateDir ?? defaultStateDir();
  const caLog = log.child({ component: 'ca' });
  const ca = new MeshCa({ trustDomain: opts.trustDomain ?? 'cluster.local', log: caLog, meter: telemetry.meter });
  const workloadCerts = new WorkloadCerts(ca, { ttlMs: opts.ca?.workloadCertTtlMs, grace: opts.ca?.workloadCertGrace, log: caLog, meter: telemetry.meter });
  const sdsLog = log.child({ component: 'sds' });
  const credentialSource = kc ? kubeCredentials(kc) : opts.ca?.credentialDir !== undefined ? credentialDir(opts.ca.credentialDir) : undefined;
  // A sidecar may have the keys the DestinationRules selecting it name (Istio's rule for credentialName at sidecars).
  const sidecarKeys = (client: CredentialClient): ReadonlySet<string> => sidecarCredentialNames(store.snapshot().destinationRules(), client);
  const credentials = credentialSource && new CredentialSecrets(credentialSource, sdsLog, undefined, undefined, sidecarKeys);
  const secrets = new SdsSecrets(ca, workloadCerts, sdsLog, credentials);
  // A CA from files is there before anything is served; one from Secrets follows the election.
  const fileCa: FileCa | undefined = fileMode || opts.ca?.caDir !== undefined
    ? await startFileCa(ca, { caDir: opts.ca?.caDir, stateDir, log: caLog })
    : undefined;
  // File mode: the trust bundle where proxies find it, and the SDS file a bootstrap names
  // (--xds-ca STATE_DIR/root-cert.sds.yaml) so Envoy reads it again when it changes.
  const stopBundleFile = fileMode ? keepBundleFile(ca, stateDir, caLog) : undefined;
  const access = await accessFor(kc, { stateDir, audience: opts.xdsTokenAudience });
  xds = new XdsServer({ views, metrics, log: log.child({ component: 'xds' }), snapshot: () => store.snapshot(), requirePod: !fileMode, secrets, authenticator: access.authenticator, limits: opts.xdsLimits, inflightBytes: opts.xdsInflightBytes });
  const server = xds;
  const findings = new MeshFindings(store, views, log.child({ component: 'translate' }), credentials);
  // The cap keeps a steady stream of edits from postponing pushes indefinitely.
  const debouncer = new Debouncer(opts.debounceMs, Math.max(opts.debounceMs * 10, 1000), (changedAt) => {
    changes.push(store.snapshot().generation, () => server.push(changedAt));
    findings.refresh();
  }, !opts.edsDebounce);
  store.on('change', (_generation, keys) => {
    changes.noted(keys);
    debouncer.trigger(endpointsOnly(keys));
  });

  const watcher = startSource(opts, store, findings, kc);
  await watcher.ready;
  let ready = false;
  let broken: string | undefined;
  const admin = createAdminServer({
    ready: () => ready,
    broken: () => broken,
    syncz: (page) => server.statuses(page),
    configFor: (id) => server.configFor(id),
    diagnostics: () => findings.current(),
    translationErrors: () => [...views.errors.values()],
    generation: () => store.snapshot().generation,
    exporter: telemetry.exporter,
    debugAccess: access.debugAccess,
  }, log.child({ component: 'admin' }));

  let xdsPort: number | undefined;
  if (opts.insecureXds) {
    xdsPort = await server.listen(`${xdsAddr.host.includes(':') ? `[${xdsAddr.host}]` : xdsAddr.host}:${xdsAddr.port}`, undefined, { open: true });
    log.warn({ xds: `${xdsAddr.host}:${xdsPort}` }, `--insecure-xds: serving xDS in plaintext without authentication on ${xdsAddr.host}:${xdsPort}; anything that reaches it can claim to be any proxy and read its config and its workload certificate's key (gateway credentials are never sent there): for local development only`);
  }
  const xdsLog = log.child({ component: 'xds' });
  const xdsCert: RenewingCert | undefined = fileMode && opts.xdsTlsAddress
    ? await serveXdsTls(server, ca, opts.xdsTlsAddress, opts.serviceDnsNames ?? [], xdsLog)
    : undefined;
  const adminAddr = splitHostPort(opts.adminAddress);
  await admin.listen({ host: adminAddr.host, port: adminAddr.port });
  const adminPort = (admin.server.address() as { port: number }).port;
  if (!access.debugAccess && !isLoopback(adminAddr.host)) {
    log.warn({ admin: `${adminAddr.host}:${adminPort}` }, `/debug/* (every proxy's config) is open to anything that reaches ${adminAddr.host}:${adminPort}: file mode has no API server to check a credential with; keep the admin address on loopback (the default)`);
  }
  // Kubernetes mode serves proxies over TLS only once the CA Secret is there (a leader makes it):
  // ready then, unless plaintext xDS serves them already.
  ready = !watcher.cluster || opts.insecureXds === true;
  log.info({ ...(xdsPort !== undefined && { xds: `${xdsAddr.host}:${xdsPort}` }), xdsTls: opts.cluster?.xdsTlsAddress ?? opts.xdsTlsAddress, admin: `${adminAddr.host}:${adminPort}`, generation: store.snapshot().generation }, 'mast serving');
  // Not awaited: the webhook and xDS over TLS wait for the CA Secret, which only a leader
  // creates, and plaintext xDS must not wait for an election.
  const duties = watcher.cluster?.start(server, ca).then(() => {
    ready = true;
  }, (err: unknown) => {
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
      stopBundleFile?.();
      xdsCert?.stop();
      await Promise.all([server.close(), admin.close(), watcher.cluster?.close()]);
      workloadCerts.close();
      credentials?.close();
      ca.close();
      await duties;
      await telemetry.shutdown();
      await tracing?.shutdown();
    },
  };
}
