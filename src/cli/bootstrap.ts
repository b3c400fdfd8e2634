// `mast bootstrap`: prints the Envoy bootstrap for one sidecar or gateway.
import { Command, InvalidArgumentError, Option } from 'commander';
import { buildBootstrap } from '../bootstrap/bootstrap';
import type { InterceptionMode } from '../translate/types';

interface Flags {
  nodeId: string;
  xdsAddress: string;
  delta?: boolean;
  adminPort?: number;
  adminAddress?: string;
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
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError('not a port number (1-65535)');
  return n;
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
    .option('--xds-ca <file>', "connect over TLS, trusting this CA file (Mast's root: ca.crt of the mast-ca Secret)")
    .option('--xds-server-name <dns>', 'with --xds-ca: the name Mast\'s certificate must carry (default: the --xds-address host)')
    .option('--admin-port <n>', 'Envoy admin port (default 15000)', port)
    .option('--admin-address <a>', 'Envoy admin address (default 127.0.0.1)')
    .option('--namespace <ns>', 'workload namespace (default: from the node id)')
    .option('--label <k=v>', 'workload label, repeatable', label, {})
    .option('--ip <ip>', 'workload IP (default: from the node id)')
    .option('--service-account <sa>', 'workload service account (default "default")')
    .addOption(new Option('--interception-mode <mode>', 'how traffic reaches the proxy (default REDIRECT)').choices(['NONE', 'REDIRECT']))
    .option('--local-address <a>', 'where the app listens; inbound traffic is sent there')
    .option('--outbound-address <a>', 'where outbound listeners bind in NONE mode')
    .option('--cluster <name>', "Envoy's service cluster (default APP.NAMESPACE)")
    .action((flags: Flags, cmd: Command) => {
      const result = buildBootstrap({ ...flags, labels: flags.label });
      if ('error' in result) cmd.error(`mast bootstrap: ${result.error}`);
      cmd.configureOutput().writeOut?.(`${JSON.stringify(result, null, 2)}\n`);
    });
}
