import { Option, type Command } from 'commander';
import { pino } from 'pino';
import { hostname } from 'node:os';
import { DEFAULT_WORKLOAD_CERT_GRACE, DEFAULT_WORKLOAD_CERT_TTL_MS } from '../ca';
import type { ClusterOptions } from '../server/cluster';
import { DEFAULT_XDS_TOKEN_AUDIENCE } from '../server/access';
import { startMast, type ConfigSource } from '../server/mast';
import { durationMs, fraction, positiveInt, wholeNumber } from './duration-flag';
import { DEFAULT_HEAP_GROWING_PERCENT, setHeapGrowingPercent } from './heap';
import { DEFAULT_XDS_LIMITS } from '../xds/limits';
import { DEFAULT_INFLIGHT_BYTES } from '../xds/inflight';

interface ServeFlags {
  configDir?: string;
  kubeconfig?: string;
  inCluster?: boolean;
  xdsAddress: string;
  adminAddress: string;
  debounceMs: string;
  edsDebounce?: boolean;
  namespace: string;
  identity: string;
  /** commander leaves it unset when neither --leader-elect nor --no-leader-elect is given. */
  leaderElect?: boolean;
  leaseDuration: string;
  leaseRenew: string;
  webhookAddress?: string;
  service: string;
  xdsTlsAddress: string;
  insecureXds?: boolean;
  xdsTokenAudience: string;
  webhookConfig: string;
  rootNamespace: string;
  trustDomain: string;
  meshConfig?: string;
  caDir?: string;
  stateDir?: string;
  workloadCertTtl: number;
  workloadCertGrace: number;
  credentialDir?: string;
  otlpEndpoint?: string;
  logLevel: string;
  xdsMaxNamesPerType: number;
  xdsMaxNamesPerStream: number;
  xdsMaxNameLength: number;
  xdsMaxStreamsPerProxy: number;
  xdsInflightBytes: number;
  heapGrowingPercent: number;
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('serve xDS to Envoy proxies from a watched directory of Kubernetes and Istio YAML, or from a cluster')
    .addOption(new Option('--config-dir <dir>', 'directory of YAML to watch (file mode)').conflicts(['kubeconfig', 'inCluster']))
    .addOption(new Option('--kubeconfig <path>', "watch the cluster this kubeconfig's current context names (Kubernetes mode)").conflicts('inCluster'))
    .option('--in-cluster', "watch the cluster Mast runs in, with its Pod's service account (Kubernetes mode)")
    .option('--xds-tls-address <host:port>', "xDS over TLS, with a certificate from Mast's CA; every stream must prove its proxy's identity with a token (Istio's 15012)", '127.0.0.1:15012')
    .option('--insecure-xds', 'also serve plaintext xDS at --xds-address, without authentication: any local process can claim any proxy (local development only)')
    .option('--xds-address <host:port>', 'with --insecure-xds: the plaintext xDS address (Istio\'s 15010)', '127.0.0.1:15010')
    .option('--xds-token-audience <aud>', "Kubernetes mode: the audience a proxy's service-account token must be for (Istio's)", DEFAULT_XDS_TOKEN_AUDIENCE)
    .option('--admin-address <host:port>', 'admin, metrics and debug HTTP address', '127.0.0.1:15014')
    .option('--xds-max-names-per-type <n>', 'resource names one xDS stream may subscribe to for one type; a request past it ends the stream with RESOURCE_EXHAUSTED (a 10,000-service mesh\'s sidecar asks for about 10,000 EDS names)', positiveInt, DEFAULT_XDS_LIMITS.maxNamesPerType)
    .option('--xds-max-names-per-stream <n>', 'resource names one xDS stream may subscribe to across all types (RESOURCE_EXHAUSTED past it)', positiveInt, DEFAULT_XDS_LIMITS.maxNamesPerStream)
    .option('--xds-max-name-length <chars>', 'longest resource name an xDS stream may subscribe to (RESOURCE_EXHAUSTED past it)', positiveInt, DEFAULT_XDS_LIMITS.maxNameLength)
    .option('--xds-max-streams-per-proxy <n>', 'xDS streams open at once for one proxy (node id); the next is refused with RESOURCE_EXHAUSTED', positiveInt, DEFAULT_XDS_LIMITS.maxStreamsPerProxy)
    .option('--xds-inflight-bytes <bytes>', 'xDS response bytes written to proxies and not yet sent, across all streams; past it, streams wait their turn (FIFO) for their next response', positiveInt, DEFAULT_INFLIGHT_BYTES)
    .option('--heap-growing-percent <n>', "collect the JS heap's old generation once it is (100 + n)% of what the last full GC left live: V8's --heap-growing-percent; 0 leaves V8's own factor (up to 4x on a machine with GBs of memory)", wholeNumber, DEFAULT_HEAP_GROWING_PERCENT)
    .option('--debounce-ms <ms>', 'wait this long after a change for more before pushing', '100')
    .option('--eds-debounce', "debounce endpoint-only changes too, as istiod does by default (PILOT_ENABLE_EDS_DEBOUNCE); without it an EndpointSlice change after a quiet second is pushed at once")
    .option('--otlp-endpoint <url>', 'export traces of the push pipeline (source event, rebuild, each proxy\'s send and ACK) by OTLP/HTTP to this base URL (http://HOST:4318); default: OTEL_EXPORTER_OTLP_ENDPOINT, else none')
    .option('--log-level <level>', 'trace, debug, info, warn or error', 'info')
    .option('--namespace <ns>', "Kubernetes mode: Mast's own namespace (its Lease and CA Secret)", process.env['POD_NAMESPACE'] ?? 'mast-system')
    .option('--identity <name>', "Kubernetes mode: this replica's name in the Lease", process.env['POD_NAME'] ?? hostname())
    .option('--leader-elect', 'Kubernetes mode: elect a leader among replicas to write status and manage the CA (default)')
    .option('--no-leader-elect', 'Kubernetes mode: a single replica that does all of that itself')
    .option('--lease-duration <seconds>', 'how long a Lease holder is trusted without renewing', '15')
    .option('--lease-renew <seconds>', 'how often the holder renews', '5')
    .option('--webhook-address <host:port>', 'Kubernetes mode: serve the validating admission webhook (HTTPS) here')
    .option('--service <dns>', "the DNS name in Mast's xDS (and, in Kubernetes mode, webhook) certificates: its Service's", 'mast.mast-system.svc')
    .option('--webhook-config <name>', 'the ValidatingWebhookConfiguration whose caBundle Mast sets', 'mast-validator')
    .option('--root-namespace <ns>', "Istio's root namespace: its PeerAuthentications and DestinationRules apply mesh-wide", 'istio-system')
    .option('--trust-domain <domain>', 'the SPIFFE trust domain of workload identities (spiffe://DOMAIN/ns/NS/sa/SA)', 'cluster.local')
    .option('--mesh-config <file>', "Istio MeshConfig YAML (what the istio ConfigMap's `mesh` key holds), read again when it changes; without it Mast reads the `istio` ConfigMap of --root-namespace, as istiod reads one or the other (README: Mesh config)")
    .option('--ca-dir <dir>', "plug in a CA: Istio's cacerts files (ca-cert.pem, ca-key.pem, cert-chain.pem, root-cert.pem); Mast signs as ca-cert and ships the chain")
    .option('--state-dir <dir>', "file mode: where Mast keeps its own root CA (ca.json, owner-only; the trust bundle for proxies in root-cert.pem, and root-cert.sds.yaml for mast bootstrap --xds-ca) and the key its xDS bootstrap tokens are signed with (xds-token-key.pem, owner-only) [default: $XDG_STATE_HOME/mast or ~/.local/state/mast]")
    .option('--workload-cert-ttl <duration>', 'lifetime of workload certificates (at least 1m)', durationMs(60_000), DEFAULT_WORKLOAD_CERT_TTL_MS)
    .option('--workload-cert-grace <fraction>', "re-issue a workload certificate when this fraction of its lifetime is left (Istio's SECRET_GRACE_PERIOD_RATIO)", fraction, DEFAULT_WORKLOAD_CERT_GRACE)
    .option('--credential-dir <dir>', "file mode: gateways' credentials (a Gateway server's tls.credentialName) as DIR/NAMESPACE/NAME/tls.crt, tls.key, ca.crt (or cert, key, cacert), as a Secret's volume holds them")
    .action(async (flags: ServeFlags) => {
      const source = sourceOf(flags);
      if (!source) program.error('mast serve: give one of --config-dir, --kubeconfig or --in-cluster');
      setHeapGrowingPercent(flags.heapGrowingPercent);
      const log = pino({ level: flags.logLevel, base: { app: 'mast' } });
      const mast = await startMast({
        source,
        xdsAddress: flags.xdsAddress,
        insecureXds: flags.insecureXds,
        xdsTlsAddress: flags.xdsTlsAddress,
        serviceDnsNames: serviceNames(flags),
        xdsTokenAudience: flags.xdsTokenAudience,
        adminAddress: flags.adminAddress,
        debounceMs: Number(flags.debounceMs),
        edsDebounce: flags.edsDebounce === true,
        cluster: typeof source === 'object' && 'configDir' in source ? undefined : clusterOf(flags),
        rootNamespace: flags.rootNamespace,
        trustDomain: flags.trustDomain,
        ...(flags.meshConfig === undefined ? {} : { meshConfigFile: flags.meshConfig }),
        ca: { caDir: flags.caDir, stateDir: flags.stateDir, workloadCertTtlMs: flags.workloadCertTtl, workloadCertGrace: flags.workloadCertGrace, credentialDir: flags.credentialDir },
        otlpEndpoint: flags.otlpEndpoint,
        xdsLimits: { maxNamesPerType: flags.xdsMaxNamesPerType, maxNamesPerStream: flags.xdsMaxNamesPerStream, maxNameLength: flags.xdsMaxNameLength, maxStreamsPerProxy: flags.xdsMaxStreamsPerProxy },
        xdsInflightBytes: flags.xdsInflightBytes,
        log,
      });
      const stop = (signal: string): void => {
        log.info({ signal }, 'shutting down');
        mast.close().then(() => process.exit(0), () => process.exit(1));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}

function clusterOf(flags: ServeFlags): ClusterOptions {
  return {
    namespace: flags.namespace,
    identity: flags.identity,
    leaderElect: flags.leaderElect ?? true,
    leaseDurationMs: Number(flags.leaseDuration) * 1000,
    renewMs: Number(flags.leaseRenew) * 1000,
    serviceDnsNames: serviceNames(flags),
    webhook: flags.webhookAddress === undefined ? undefined : { address: flags.webhookAddress, configName: flags.webhookConfig },
    xdsTlsAddress: flags.xdsTlsAddress,
    caFromSecrets: flags.caDir === undefined,
  };
}

function serviceNames(flags: ServeFlags): string[] {
  return [flags.service, `${flags.service}.cluster.local`];
}

function sourceOf(flags: ServeFlags): ConfigSource | undefined {
  if (flags.configDir !== undefined) return { configDir: flags.configDir };
  if (flags.kubeconfig !== undefined) return { kubeconfig: flags.kubeconfig };
  return flags.inCluster ? 'in-cluster' : undefined;
}
