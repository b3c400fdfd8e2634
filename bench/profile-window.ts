// Where a server's CPU went during some windows of a run: its self time by function and by
// source (Mast's folders, grpc-js, Node's internals, GC, idle), and each function's total (with
// what it calls) per change, from a V8 CPU profile taken with
// `node --cpu-prof` (BENCH_MAST_NODE_ARGS; the main thread's is the file numbered `.0.`, a
// worker's `.1.`), over the single changes of an xds-load result:
//
//   node --import tsx bench/profile-window.ts PROFILE.cpuprofile[.gz] RESULT.json [--target mast-k8s]
//     [--transport sotw] [--top 25] [--change 1,3-8]
//
// The windows are each change's hand-over to its last ACK (`change.stepDetail`, monotonic ns, the
// clock V8 stamps profile samples with). The load client's own profile reads the same way
// (`node --cpu-prof --cpu-prof-dir=DIR --import tsx bench/xds-load.ts ...`). Idle is the time
// the main thread waited with nothing to run: for a server during a fan-out, waiting for its
// clients.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Outcome, RunResult } from './lib/stats';

/** The parts of a .cpuprofile read here (V8's Profiler.Profile, Chrome DevTools protocol). */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  /** Microseconds, monotonic. */
  startTime: number;
  samples: number[];
  /** Microseconds from the previous sample (the first: from startTime). */
  timeDeltas: number[];
}

/** A sample's source: Mast's folder, the npm package, Node's internals, or V8's own entries. */
function sourceOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  if (url.startsWith('node:')) return 'node:internal';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  // Mast's own folder (src/xds, ...), compiled or not; the bench's own files by their folder.
  const own = /\/(src|bench|test)\/(.*)$/.exec(url);
  if (!own) return path.basename(url);
  const folder = own[2]!.split('/');
  return folder.length > 1 ? `${own[1]}/${folder[0]}` : own[1]!;
}

/**
 * Self time in ms by function and by source, and total time by function (its own and its
 * callees', each function counted once per sample however deep it recurs), over the samples whose
 * time falls in one of `windows` ([from, to) in microseconds); each sample counts for the time
 * until the next one. Idle samples count in self time only: a total is time spent working.
 */
export function timeIn(profile: CpuProfile, windows: readonly [number, number][]): { totalMs: number; byFunction: Map<string, number>; bySource: Map<string, number>; inclusive: Map<string, number> } {
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const parents = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parents.set(c, n.id);
  const byFunction = new Map<string, number>();
  const bySource = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, ms: number): void => void m.set(k, (m.get(k) ?? 0) + ms);
  const nameOf = (f: CpuProfile['nodes'][number]['callFrame']): string => `${f.functionName || '(anonymous)'} ${f.url ? `${path.basename(f.url)}:${f.lineNumber + 1}` : ''}`.trim();
  let t = profile.startTime;
  let totalMs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i]!;
    const weightMs = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    if (!windows.some(([from, to]) => t >= from && t < to)) continue;
    const f = frames.get(profile.samples[i]!)!;
    add(byFunction, nameOf(f), weightMs);
    add(bySource, sourceOf(f.url, f.functionName), weightMs);
    totalMs += weightMs;
    if (f.functionName === '(idle)') continue;
    const seen = new Set<string>();
    for (let id: number | undefined = profile.samples[i]!; id !== undefined; id = parents.get(id)) {
      const name = nameOf(frames.get(id)!);
      if (!seen.has(name)) add(inclusive, name, weightMs);
      seen.add(name);
    }
  }
  return { totalMs, byFunction, bySource, inclusive };
}

/** `1,3-8` as the set {1, 3, 4, 5, 6, 7, 8}; throws on anything else. */
export function changeNumbers(spec: string): Set<number> {
  const out = new Set<number>();
  for (const part of spec.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new Error(`--change ${spec}: expected numbers and ranges such as 1,3-8`);
    for (let n = Number(m[1]); n <= Number(m[2] ?? m[1]); n++) out.add(n);
  }
  return out;
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      target: { type: 'string', default: 'mast-k8s' },
      transport: { type: 'string', default: 'sotw' },
      top: { type: 'string', default: '25' },
      // Which changes' windows (1-based, as the run's stderr numbers them): the first change
      // after a sync may be read apart from the later ones.
      change: { type: 'string' },
    },
  });
  const [profilePath, resultPath] = positionals;
  if (!profilePath || !resultPath) throw new Error('usage: profile-window.ts PROFILE.cpuprofile RESULT.json [--target T] [--transport sotw|delta] [--top N] [--change 1,3-8]');
  const raw = readFileSync(profilePath);
  const profile = JSON.parse((profilePath.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8')) as CpuProfile;
  const results = (JSON.parse(readFileSync(resultPath, 'utf8')) as { results: Outcome[] }).results;
  const run = results.find((r): r is RunResult => 'change' in r && r.target === values.target && r.transport === values.transport);
  const all = run?.change.stepDetail;
  if (!all?.length) throw new Error(`${resultPath}: no single changes with stepDetail for ${values.target} ${values.transport}`);
  const chosen = values.change === undefined ? undefined : changeNumbers(values.change);
  const steps = chosen ? all.filter((_, i) => chosen.has(i + 1)) : all;
  if (!steps.length) throw new Error(`--change ${values.change}: the run has changes 1-${all.length}`);
  // The result's monotonic nanoseconds as the profile's microseconds.
  const windows = steps.map((s): [number, number] => [Number(BigInt(s.fromNs) / 1000n), Number(BigInt(s.toNs) / 1000n)]);
  const wallMs = windows.reduce((sum, [a, b]) => sum + (b - a) / 1000, 0);
  const { totalMs, byFunction, bySource, inclusive } = timeIn(profile, windows);
  if (totalMs === 0) throw new Error(`${profilePath}: no samples in the ${steps.length} windows: is it the profile of this run's ${values.target}?`);
  const row = (name: string, ms: number): string => `| ${name} | ${ms.toFixed(0)} | ${((100 * ms) / totalMs).toFixed(1)}% |`;
  const top = (m: Map<string, number>, n: number): [string, number][] => [...m].sort((a, b) => b[1] - a[1]).slice(0, n);
  process.stdout.write(`${steps.length} changes, ${wallMs.toFixed(0)} ms from hand-overs to last ACKs; ${totalMs.toFixed(0)} ms sampled\n\n`);
  process.stdout.write(`| source | self ms | share |\n|---|---|---|\n${top(bySource, 20).map(([k, v]) => row(k, v)).join('\n')}\n\n`);
  process.stdout.write(`| function | self ms | share |\n|---|---|---|\n${top(byFunction, Number(values.top)).map(([k, v]) => row(k.replaceAll('|', '\\|'), v)).join('\n')}\n\n`);
  // What each call path costs a change: the push, the ACKs' reads, a collection.
  const perChange = (ms: number): string => (ms / steps.length).toFixed(1);
  process.stdout.write(`| function, with what it calls | ms per change |\n|---|---|\n${top(inclusive, Number(values.top)).map(([k, v]) => `| ${k.replaceAll('|', '\\|')} | ${perChange(v)} |`).join('\n')}\n`);
}

if (require.main === module) main();
