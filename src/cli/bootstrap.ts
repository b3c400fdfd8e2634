// `mast bootstrap`: prints the Envoy bootstrap for one sidecar or gateway.
import { Command, InvalidArgumentError, Option } from 'commander';
import { buildBootstrap, type BootstrapOptions } from '../bootstrap/bootstrap';
import { defaultStateDir } from '../ca/state-file';
import { XdsTokenKey } from '../ca/xds-token';
import { parseDuration } from '../model/duration';
import { parseNodeId, podNameOf } from '../proxy/node';
import type { InterceptionMode } from '../translate/types';

interface Flags {
  nodeId: string;
  xdsAddress: string;
  delta?: boolean;
  adminPort?: number;
  adminAddress?: string;
  statsPort?: number;
  statsAddress?: string;
  workloadName?: string;
  namespace?: string;
  label: Record<string, string>;
  ip?: string;
  serviceAccount?: string;
  interceptionMode?: InterceptionMode;
  localAddress?: string;
  outboundAddress?: string;
  cluster?: string;
  xdsCa?: string;
  xdsServerName?: string;
  insecureXds?: boolean;
  tokenFile?: string;
  bootstrapToken?: boolean;
  stateDir: string;
  tokenTtl: number;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError('not a port number (1-65535)');
  return n;
}

function lifetime(value: string): number {
  const seconds = parseDuration(value);
  if (seconds === undefined || seconds <= 0) throw new InvalidArgumentError('not a positive duration (e.g. 24h, 30m)');
  return seconds * 1000;
}

/**
 * A token signed with the key in `stateDir` for the workload `o` describes: its namespace and
 * service account, the Pod its node id names, and its addresses.
 */
async function signedToken(o: BootstrapOptions, flags: Flags): Promise<string> {
  const node = parseNodeId(o.nodeId);
  if ('error' in node) throw new Error(node.error);
  const namespace = o.namespace ?? node.namespace;
  const key = await XdsTokenKey.open(flags.stateDir);
  return key.sign({ namespace, serviceAccount: o.serviceAccount ?? 'default', pod: podNameOf(node), ips: [o.ip ?? node.ip], role: node.role }, flags.tokenTtl);
}

function label(value: string, previous: Record<string, string>): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError('expected KEY=VALUE');
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

export function register(program: Command): void {
  program
    .command('bootstrap')
    .description('print the Envoy bootstrap (JSON) for a sidecar or gateway')
    .requiredOption('--node-id <id>', 'sidecar~IP~POD.NAMESPACE~NAMESPACE.svc.cluster.local, or router~... for a gateway')
    .requiredOption('--xds-address <host:port>', "Mast's xDS address")
    .option('--delta', 'use delta (incremental) ADS instead of state of the world')
    .option('--xds-ca <file>', "connect over TLS, trusting Mast's roots from this file: an SDS file (.yaml/.json: mast serve's STATE_DIR/root-cert.sds.yaml), whose PEM Envoy reads again when it is replaced, or a PEM file (ca.crt of the mast-ca Secret), read once at start")
    .option('--xds-server-name <dns>', 'with --xds-ca: the name Mast\'s certificate must carry (default: the --xds-address host)')
    .option('--insecure-xds', "plaintext xDS without a token, to a Mast serving --insecure-xds (local development only)")
    .addOption(new Option('--token-file <file>', "authenticate with a bearer token kept in a file (Kubernetes: a projected service-account token, audience istio-ca): an SDS file (.yaml/.json, manifests/sidecar-bootstrap.yaml's xds-token.sds.yaml) naming it, which Envoy's own gRPC client reads again when the token is replaced and which lets --xds-ca be an SDS file; or the token file itself, read on every reconnect by Envoy's Google gRPC client, with a PEM --xds-ca").conflicts('bootstrapToken'))
    .option('--bootstrap-token', "embed a token for this proxy's identity (namespace, service account, Pod, IP), signed with Mast's key in --state-dir (file mode)")
    .option('--state-dir <dir>', "with --bootstrap-token: Mast's state directory, as given to mast serve", defaultStateDir())
    .option('--token-ttl <duration>', 'with --bootstrap-token: how long the token is valid', lifetime, 24 * 3600_000)
    .option('--admin-port <n>', 'Envoy admin port (default 15000)', port)
    .option('--admin-address <a>', 'Envoy admin address (default 127.0.0.1)')
    .option('--stats-port <n>', "where Prometheus scrapes /stats/prometheus (default 15090, Istio's)", port)
    .option('--stats-address <a>', 'the stats listener address (default 0.0.0.0; with --interception-mode NONE the --local-address)')
    .option('--workload-name <name>', 'the workload the stats name as reporter_workload, e.g. the Deployment (default: the Pod in the node id)')
    .option('--namespace <ns>', 'workload namespace (default: from the node id)')
    .option('--label <k=v>', 'workload label, repeatable', label, {})
    .option('--ip <ip>', 'workload IP (default: from the node id)')
    .option('--service-account <sa>', 'workload service account (default "default")')
    .addOption(new Option('--interception-mode <mode>', 'how traffic reaches the proxy (default REDIRECT)').choices(['NONE', 'REDIRECT']))
    .option('--local-address <a>', 'where the app listens; inbound traffic is sent there')
    .option('--outbound-address <a>', 'where outbound listeners bind in NONE mode')
    .option('--cluster <name>', "Envoy's service cluster (default APP.NAMESPACE)")
    .action((flags: Flags, cmd: Command) => {
      const { label: labels, bootstrapToken, stateDir: _stateDir, tokenTtl: _tokenTtl, ...rest } = flags;
      const o: BootstrapOptions = { ...rest, labels };
      const print = (token?: string): void => {
        const result = buildBootstrap({ ...o, token });
        if ('error' in result) cmd.error(`mast bootstrap: ${result.error}`);
        cmd.configureOutput().writeOut?.(`${JSON.stringify(result, null, 2)}\n`);
      };
      // Synchronous unless a token is signed (reading the key is asynchronous).
      if (!bootstrapToken) return print();
      return signedToken(o, flags).then(print, (err: unknown) => cmd.error(`mast bootstrap: ${err instanceof Error ? err.message : String(err)}`));
    });
}
