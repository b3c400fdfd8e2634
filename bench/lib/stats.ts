// Summaries and the results table: what BENCHMARKS.md shows, printed the same way every run.

/** Nearest-rank percentile of `values` (any order); NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** A churn: `rate` endpoint changes per second for `seconds`, each to another service. */
export interface ChurnResult {
  rate: number;
  seconds: number;
  changes: number;
  /** When the last change was handed over, from the first: above `seconds` when handing over lagged. */
  issuedS: number;
  /** Per change, until every sidecar had ACKed the response with its new address; over changes. */
  convergence: { p50Ms: number; p99Ms: number; maxMs: number };
  /** From the first change until the last had reached every sidecar. */
  wallS: number;
  /** Server CPU seconds over `wallS`. */
  cpuS: number;
  /** Bytes of the responses every sidecar received over `wallS` (gRPC messages, no HTTP/2 framing). */
  bytes: number;
}

/** A churn that did not converge within its bound: what had, and why not. */
export interface FailedChurn {
  rate: number;
  seconds: number;
  changes: number;
  converged: number;
  failed: string;
}

export interface RunResult {
  /** `mast`, `peer` (go-control-plane), or another target of bench/lib/targets.ts. */
  target: string;
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
  /** One endpoint change `steps` times: per sidecar, until it ACKed the response with the new
   * address. Percentiles and max are over the ACKs that came within `--change-timeout-s`;
   * `stepMaxMs` has the steps every sidecar ACKed, `unconverged` the others. */
  change: { steps: number; p50Ms: number; p99Ms: number; maxMs: number; stepMaxMs: number[]; unconverged?: UnconvergedStep[]; stepDetail?: StepDetail[] };
  /** Absent when `--churn-rate` or `--churn-s` is 0. */
  churn?: ChurnResult | FailedChurn;
  /** syncS: readiness to every sidecar synced; changesS: the single changes; churnS: the churn
   * (from its first change until it converged); totalS: readiness to the end. */
  targetCpu: { syncS: number; changesS: number; churnS?: number; totalS: number };
  peakRssMib: number;
  /** Responses the sidecars NACKed (bench/lib/sidecar.ts), and the first reason. */
  nacks: { count: number; first?: string };
  /** NACKs the server counted itself (Mast's and istiod's `pilot_total_xds_rejects` on /metrics);
   * absent when the target exports no such metric. */
  serverRejects?: number;
  /** The load client (absent in results from before there were two), its CPU over the run, and
   * how busy the bench's own event loop was during the sync. */
  client: { kind?: 'go' | 'node'; cpuS: number; syncEventLoopUtilization: number };
  /** Mast only: whether /debug/config_dump equals the peer's input for the same dir and proxy. */
  sameConfigAsPeer?: boolean;
}

const fixed = (n: number, digits: number): string => (Number.isFinite(n) ? n.toFixed(digits) : '-');
const ratio = (a: number, b: number): string => (b > 0 && Number.isFinite(a) ? `${(a / b).toFixed(2)}×` : '-');

/** The churn's figures when it converged, else none (NaN prints as '-'). */
const churned = (r: RunResult): ChurnResult | undefined => (r.churn && !('failed' in r.churn) ? r.churn : undefined);

const COLUMNS: [string, (r: RunResult) => number, number][] = [
  ['initial sync, all clients ACKed (s)', (r) => r.sync.totalMs / 1000, 2],
  ['sync p50 (ms)', (r) => r.sync.p50Ms, 0],
  ['sync p99 (ms)', (r) => r.sync.p99Ms, 0],
  ['EDS change p50 (ms)', (r) => r.change.p50Ms, 0],
  ['EDS change p99 (ms)', (r) => r.change.p99Ms, 0],
  ['EDS change max (ms)', (r) => r.change.maxMs, 0],
  ['churn p99 (ms)', (r) => churned(r)?.convergence.p99Ms ?? NaN, 0],
  ['churn CPU (s)', (r) => churned(r)?.cpuS ?? NaN, 2],
  ['churn MiB sent', (r) => (churned(r)?.bytes ?? NaN) / 2 ** 20, 1],
  ['CPU, sync and single changes (s)', (r) => r.targetCpu.syncS + r.targetCpu.changesS, 2],
  ['peak RSS (MiB)', (r) => r.peakRssMib, 0],
  ['sync KiB per client', (r) => (r.sync.bytesPerClient ?? NaN) / 1024, 0],
];

/** The server, and the Sidecar scope its sidecars run under, if any. */
const serverCell = (r: { target: string; scope?: number; services: number }): string => (r.scope ? `${r.target}, Sidecar ${r.scope}/${r.services}` : r.target);

/** A run that could not finish: over its time or memory bound, or its server died. */
export interface FailedRun {
  target: string;
  transport: 'sotw' | 'delta';
  clients: number;
  services: number;
  scope?: number;
  loadAverage: number;
  failed: string;
}

export type Outcome = RunResult | FailedRun;

/**
 * Where one single change's time went. Latencies are from its hand-over, over the sidecars that
 * ACKed it; `firstMs` (the first ACK) is the path every sidecar shares (API server, watch,
 * debounce, rebuild, one write), the rest is the fan-out to all of them. CPU is from the hand-over
 * until the last ACK (or the timeout), read at 10 ms resolution for the server (/proc), the load
 * client's own from process.cpuUsage; `*SystemMs` is the kernel's share of it (the sockets).
 * `fromNs`/`toNs` bound the step on the monotonic clock that Node's --cpu-prof timestamps use
 * (bench/profile-window.ts slices a profile with them).
 */
export interface StepDetail {
  firstMs: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  serverCpuMs: number;
  serverSystemMs: number;
  clientCpuMs: number;
  clientSystemMs: number;
  fromNs: string;
  toNs: string;
}

/** A single change that not every sidecar ACKed within `--change-timeout-s`: how many did, and
 * the node ids of (up to ten of) those that did not. */
export interface UnconvergedStep {
  step: number;
  acked: number;
  missing: string[];
}

/** The Mast run another server's row is compared with, of the same shape: for istiod, Mast reading
 * the same API server (mast-k8s) when it ran, for the peer Mast reading the same files (mast);
 * either one when only it ran. */
function mastFor(results: readonly RunResult[], r: RunResult): RunResult | undefined {
  const same = results.filter((m) => m.transport === r.transport && m.clients === r.clients && m.services === r.services && m.scope === r.scope);
  const order = r.target.startsWith('istiod') ? ['mast-k8s', 'mast'] : ['mast', 'mast-k8s'];
  for (const t of order) {
    const m = same.find((x) => x.target === t);
    if (m) return m;
  }
  return undefined;
}

/** One row per run and, under each other server's row, Mast's ratio to it for the same shape;
 * failures, NACKs and a churn that did not converge are explained under the table. */
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
    const shape = `${r.target} ${r.transport} N=${r.clients}`;
    if (r.sameConfigAsPeer === false) notes.push(`[${notes.length + 1}] ${shape}: /debug/config_dump differs from the peer's input`);
    if (r.nacks.count > 0) notes.push(`[${notes.length + 1}] ${shape}: the sidecars NACKed ${r.nacks.count} responses, first: ${r.nacks.first}`);
    if (r.serverRejects) notes.push(`[${notes.length + 1}] ${shape}: the server counted ${r.serverRejects} NACKs`);
    for (const u of r.change.unconverged ?? []) {
      notes.push(`[${notes.length + 1}] ${shape}: change ${u.step} reached ${u.acked}/${r.clients} sidecars within --change-timeout-s (its change figures are over those), not: ${u.missing.join(', ')}`);
    }
    if (r.churn && 'failed' in r.churn) notes.push(`[${notes.length + 1}] ${shape}: churn ${r.churn.converged}/${r.churn.changes} converged: ${r.churn.failed}`);
    row([String(r.clients), r.transport, serverCell(r), ...COLUMNS.map(([, get, d]) => fixed(get(r), d)), fixed(r.client.cpuS, 1)]);
    if (r.target === 'mast' || r.target === 'mast-k8s') continue;
    const mast = mastFor(results, r);
    if (mast) row([String(r.clients), r.transport, `**${mast.target} / ${r.target}**`, ...COLUMNS.map(([, get]) => ratio(get(mast), get(r))), '']);
  }
  return [...lines, ...(notes.length ? ['', ...notes] : [])].join('\n');
}
