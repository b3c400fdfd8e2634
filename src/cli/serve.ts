import type { Command } from 'commander';
import { pino } from 'pino';
import { startMast } from '../server/mast';

interface ServeFlags {
  configDir: string;
  xdsAddress: string;
  adminAddress: string;
  debounceMs: string;
  logLevel: string;
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('serve xDS to Envoy proxies from a watched directory of Kubernetes and Istio YAML')
    .requiredOption('--config-dir <dir>', 'directory of YAML to watch (file mode)')
    .option('--xds-address <host:port>', 'gRPC xDS listen address (plaintext)', '127.0.0.1:15010')
    .option('--admin-address <host:port>', 'admin, metrics and debug HTTP address', '127.0.0.1:15014')
    .option('--debounce-ms <ms>', 'wait this long after a change for more before pushing', '100')
    .option('--log-level <level>', 'trace, debug, info, warn or error', 'info')
    .action(async (flags: ServeFlags) => {
      const log = pino({ level: flags.logLevel, base: { app: 'mast' } });
      const mast = await startMast({
        configDir: flags.configDir,
        xdsAddress: flags.xdsAddress,
        adminAddress: flags.adminAddress,
        debounceMs: Number(flags.debounceMs),
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
