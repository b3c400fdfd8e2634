// `mast analyze`: reads configuration the way `mast serve` would and reports what is wrong with
// it, one line per finding, exiting 1 when any finding is an error (so CI can gate on it). Besides
// the model's findings it translates the mesh for proxies standing for its workloads and reports
// what Envoy would reject (MAST4001), as a running Mast would log it.
import type { Command } from 'commander';
import { ConfigStore, formatDiagnostic, type Diagnostic } from '../model';
import { loadConfigDir } from '../sources/files';
import { envoyFindings, meshProxies } from '../xds/envoy-check';

interface Flags {
  json?: boolean;
  domain: string;
}

export interface AnalyzeResult {
  diagnostics: Diagnostic[];
  /** What goes to stdout: one line per finding, or their JSON. */
  output: string;
  exitCode: 0 | 1;
}

export async function analyze(paths: string[], flags: Flags): Promise<AnalyzeResult> {
  const store = new ConfigStore({ domain: flags.domain });
  for (const p of paths) await loadConfigDir(p, store);
  const snapshot = store.snapshot();
  const diagnostics = [...store.diagnostics(), ...envoyFindings(snapshot, meshProxies(snapshot))];
  const output = flags.json ? `${JSON.stringify(diagnostics, null, 2)}\n` : diagnostics.map((d) => `${formatDiagnostic(d)}\n`).join('');
  return { diagnostics, output, exitCode: diagnostics.some((d) => d.severity === 'error') ? 1 : 0 };
}

/** Where the command writes; tests pass their own. */
export interface Output {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

export function register(program: Command, io: Output = process): void {
  program
    .command('analyze')
    .description('check configuration files (YAML/JSON, directories read recursively) and report problems')
    .argument('[paths...]', 'directories or files to read', ['.'])
    .option('--json', 'print the findings as a JSON array')
    .option('--domain <suffix>', 'cluster DNS suffix of service hostnames', 'cluster.local')
    .action(async (paths: string[], flags: Flags) => {
      const result = await analyze(paths, flags);
      io.stdout.write(result.output);
      const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
      io.stderr.write(`${count(errors, 'error')}, ${count(result.diagnostics.length - errors, 'warning')}\n`);
      process.exitCode = result.exitCode;
    });
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
