// Summaries and the results table: what BENCHMARKS.md shows, printed the same way every run.

/** Nearest-rank percentile of `values` (any order); NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export interface RunResult {
  target: 'mast' | 'peer';
  transport: 'sotw' | 'delta';
  clients: number;
  services: number;
  /** Services a Sidecar scopes every sidecar to (bench/mesh-gen.ts sidecarYaml); absent for none. */
  scope?: number;
  /** Client-side 1-minute load average when the run began: other work on the machine skews figures. */
  loadAverage: number;
  holdings: { clusters: number; endpoints: number; listeners: number; routes: number };
  /** bytesPerClient: the responses' bytes one sidecar received until synced (the first sidecar's; all get the same). */
  sync: { totalMs: number; p50Ms: number; p99Ms: number; bytesPerClient?: number };
  change: { steps: number; p50Ms: number; p99Ms: number; maxMs: number; stepMaxMs: number[] };
  targetCpu: { syncS: number; changesS: number; totalS: number };
  peakRssMib: number;
  client: { cpuS: number; syncEventLoopUtilization: number };
  /** Mast only: whether /debug/config_dump equals the peer's input for the same dir and proxy. */
  sameConfigAsPeer?: boolean;
}

const fixed = (n: number, digits: number): string => (Number.isFinite(n) ? n.toFixed(digits) : '-');
const ratio = (a: number, b: number): string => (b > 0 && Number.isFinite(a) ? `${(a / b).toFixed(2)}×` : '-');

const COLUMNS: [string, (r: RunResult) => number, number][] = [
  ['initial sync, all clients (s)', (r) => r.sync.totalMs / 1000, 2],
  ['sync p50 (ms)', (r) => r.sync.p50Ms, 0],
  ['sync p99 (ms)', (r) => r.sync.p99Ms, 0],
  ['EDS change p50 (ms)', (r) => r.change.p50Ms, 0],
  ['EDS change p99 (ms)', (r) => r.change.p99Ms, 0],
  ['CPU (s)', (r) => r.targetCpu.totalS, 2],
  ['peak RSS (MiB)', (r) => r.peakRssMib, 0],
  ['sync KiB per client', (r) => (r.sync.bytesPerClient ?? NaN) / 1024, 0],
];

/** The server, and the Sidecar scope its sidecars run under, if any. */
const serverCell = (r: { target: string; scope?: number; services: number }): string => (r.scope ? `${r.target}, Sidecar ${r.scope}/${r.services}` : r.target);

/** A run that could not finish: over its time or memory bound, or its server died. */
export interface FailedRun {
  target: 'mast' | 'peer';
  transport: 'sotw' | 'delta';
  clients: number;
  services: number;
  scope?: number;
  loadAverage: number;
  failed: string;
}

export type Outcome = RunResult | FailedRun;

/** One row per run and, under each Mast/peer pair of the same shape, their ratio; failures are
 * explained under the table. */
export function table(outcomes: readonly Outcome[]): string {
  const results = outcomes.filter((r): r is RunResult => !('failed' in r));
  const notes: string[] = [];
  const head = ['clients', 'transport', 'server', ...COLUMNS.map(([h]) => h), 'load client CPU (s)'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  const row = (cells: string[]): number => lines.push(`| ${cells.join(' | ')} |`);
  for (const r of outcomes) {
    if ('failed' in r) {
      notes.push(`[${notes.length + 1}] ${r.target} ${r.transport} N=${r.clients}: ${r.failed}`);
      row([String(r.clients), r.transport, serverCell(r), `failed [${notes.length}]`, ...COLUMNS.slice(1).map(() => ''), '']);
      continue;
    }
    if (r.sameConfigAsPeer === false) notes.push(`[${notes.length + 1}] mast ${r.transport} N=${r.clients}: /debug/config_dump differs from the peer's input`);
    row([String(r.clients), r.transport, serverCell(r), ...COLUMNS.map(([, get, d]) => fixed(get(r), d)), fixed(r.client.cpuS, 1)]);
    if (r.target !== 'peer') continue;
    const mast = results.find((m) => m.target === 'mast' && m.transport === r.transport && m.clients === r.clients && m.services === r.services && m.scope === r.scope);
    if (mast) row([String(r.clients), r.transport, '**Mast / peer**', ...COLUMNS.map(([, get]) => ratio(get(mast), get(r))), '']);
  }
  return [...lines, ...(notes.length ? ['', ...notes] : [])].join('\n');
}
