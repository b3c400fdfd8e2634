// Growth curves (issue 10, item 5): the xDS load benchmark's run (bench/xds-load.ts) swept over
// the mesh's size at a fixed number of sidecars, and over the number of sidecars on a fixed mesh,
// for each transport and target; one raw JSON, then a PNG plot of it (bench/plot_growth.py).
//
//   node --max-old-space-size=8192 --import tsx bench/growth.ts
//     [--services 100,1000,10000] [--services-clients 100]
//     [--clients 100,500,1000,2000,5000] [--clients-services 1000]
//     [--transport sotw,delta] [--target mast] [--changes 3] [--churn-rate 0] [--churn-s 0]
//     [--max-rss-mib 8192] [--sync-timeout-s 600] [--stop-at HH:MM] [--out bench/results]
//     [--lock FILE] [--lock-above 200] [--resume growth-DATE.json] [--client go|node]
//
// (`make bench-growth` runs the defaults.) A point shared by both sweeps (1000 services at 100
// sidecars) runs once. Each target's sweep runs in full before the next's, its points from the
// cheapest up (those that need no `--lock` first); once a target and transport fail at a
// size (time or memory bound, or the server died), their larger points are recorded as skipped
// rather than tried, and points not begun by `--stop-at` (UTC) are recorded as not run: every
// point of the sweep has a row in the JSON, measured or not, and why not. The JSON is rewritten
// after every run, and a run in progress is written as such first, so a sweep whose own process
// dies (the load client's memory at thousands of streams) still says where. On a shared machine,
// `--lock FILE` takes that lock (flock(1)) around each run of more than `--lock-above` sidecars,
// so that big runs of different benchmarks never overlap while small points go ahead (and waits
// for it no later than `--stop-at`). `--resume FILE` goes on with an interrupted sweep's JSON:
// its measured and failed rows stay, the other points run, and the same JSON and PNG are written.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { ClientKind } from './lib/load-fleet';
import { machine } from './lib/machine';
import { loadProtos, type Transport } from './lib/sidecar';
import type { Outcome } from './lib/stats';
import type { TargetName } from './lib/targets';
import { checkOneClass, command, list, runOutcome, type Options } from './xds-load';

const ROOT = path.join(__dirname, '..');
const PYTHON = path.join(ROOT, '.venv', 'bin', 'python');

/** One point of a sweep: a mesh of `services` with `clients` sidecars. */
interface Point {
  services: number;
  clients: number;
  /** Which sweeps the point belongs to (the plot draws it in each). */
  sweeps: ('services' | 'clients')[];
}

/** A point that was not measured, and why: skipped after a smaller one failed, or out of time. */
interface NotRun {
  target: string;
  transport: Transport;
  services: number;
  clients: number;
  notRun: string;
}

type Row = (Outcome | NotRun) & { sweeps: Point['sweeps'] };

/** Both sweeps' points, each once, cheapest (fewest sidecars times services) first. */
function points(services: number[], servicesClients: number, clients: number[], clientsServices: number): Point[] {
  const byKey = new Map<string, Point>();
  const add = (s: number, n: number, sweep: 'services' | 'clients'): void => {
    const key = `${s}x${n}`;
    const p = byKey.get(key) ?? { services: s, clients: n, sweeps: [] };
    p.sweeps.push(sweep);
    byKey.set(key, p);
  };
  for (const s of services) add(s, servicesClients, 'services');
  for (const n of clients) add(clientsServices, n, 'clients');
  return [...byKey.values()].sort((a, b) => a.services * a.clients - b.services * b.clients);
}

/** Today's `HH:MM` UTC as a time, or none. */
function stopTime(hhmm: string | undefined): number | undefined {
  if (!hhmm) return undefined;
  const [h, m] = hhmm.split(':').map(Number);
  const d = new Date();
  d.setUTCHours(h!, m!, 0, 0);
  return d.getTime();
}

/** Takes `file` with flock(1) and holds it until the returned function is called (or this process
 * ends: the lock holder exits when its stdin closes); undefined when it was not free by `until`. */
async function lock(file: string, until: number | undefined): Promise<(() => void) | undefined> {
  const wait = until === undefined ? [] : ['-w', String(Math.max(1, Math.round((until - Date.now()) / 1000)))];
  const holder = spawn('flock', [...wait, file, 'sh', '-c', 'echo locked; exec cat'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const got = await new Promise<boolean>((resolve) => {
    holder.stdout.once('data', () => resolve(true));
    holder.once('exit', () => resolve(false));
  });
  return got ? () => holder.stdin.end() : undefined;
}

/** The rows of an earlier sweep's JSON worth keeping: measured or failed, not those cut short. */
function resumable(file: string): { machine: Record<string, string | number>; rows: Row[] } {
  const earlier = JSON.parse(readFileSync(file, 'utf8')) as { machine: Record<string, string | number>; rows: Row[] };
  return { machine: earlier.machine, rows: earlier.rows.filter((r) => !('notRun' in r)) };
}

/** Draws `json` into `png` with bench/plot_growth.py on the project's .venv (make bench-plot-deps). */
function plot(json: string, png: string): void {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: run make bench-plot-deps`);
  execFileSync(PYTHON, [path.join(__dirname, 'plot_growth.py'), json, png], { stdio: 'inherit' });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      services: { type: 'string', default: '100,1000,10000' },
      'services-clients': { type: 'string', default: '100' },
      clients: { type: 'string', default: '100,500,1000,2000,5000' },
      'clients-services': { type: 'string', default: '1000' },
      transport: { type: 'string', default: 'sotw,delta' },
      target: { type: 'string', default: 'mast' },
      changes: { type: 'string', default: '3' },
      'churn-rate': { type: 'string', default: '0' },
      'churn-s': { type: 'string', default: '0' },
      'sync-timeout-s': { type: 'string', default: '600' },
      'change-timeout-s': { type: 'string', default: '300' },
      'max-rss-mib': { type: 'string', default: '8192' },
      client: { type: 'string', default: 'go' },
      'stop-at': { type: 'string' },
      lock: { type: 'string' },
      'lock-above': { type: 'string', default: '200' },
      resume: { type: 'string' },
      out: { type: 'string', default: path.join(__dirname, 'results') },
    },
  });
  const o: Options = {
    client: values.client as ClientKind,
    services: 0,
    scope: 0,
    changes: Number(values.changes),
    churnRate: Number(values['churn-rate']),
    churnS: Number(values['churn-s']),
    settleMs: 1000,
    sharedIp: false,
    syncTimeoutMs: Number(values['sync-timeout-s']) * 1000,
    changeTimeoutMs: Number(values['change-timeout-s']) * 1000,
    maxRssMib: Number(values['max-rss-mib']),
  };
  const locked = (p: Point): boolean => values.lock !== undefined && p.clients > Number(values['lock-above']);
  // The points that need no lock first: they go ahead while others hold it.
  const sweep = points(list(values.services).map(Number), Number(values['services-clients']), list(values.clients).map(Number), Number(values['clients-services']))
    .sort((a, b) => Number(locked(a)) - Number(locked(b)));
  const transports = list(values.transport) as Transport[];
  const targets = list(values.target) as TargetName[];
  const stopAt = stopTime(values['stop-at']);
  const earlier = values.resume ? resumable(values.resume) : undefined;
  const now = machine();
  // A resumed sweep keeps its first run's stamp and file; each run's machine line is kept.
  const info = earlier ? { ...earlier.machine, resumed: [...String(earlier.machine['resumed'] ?? '').split(' ').filter(Boolean), `${now.date}@${now.mast}`].join(' ') } : now;
  process.stderr.write(`${JSON.stringify(info)}\n`);
  // The peer serves Mast's translation of the dir (bench/lib/targets.ts), one class for every sidecar:
  // a mesh size where that cannot be done is recorded, per point, as not run for the peer.
  const peerBlocked = new Map<number, string>();
  if (targets.includes('peer')) {
    for (const s of new Set(sweep.map((p) => p.services))) {
      try {
        checkOneClass(Math.max(...sweep.map((p) => p.clients)), { ...o, services: s });
      } catch (err) {
        peerBlocked.set(s, `not run: the peer's input cannot be made: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
  loadProtos();

  mkdirSync(values.out, { recursive: true });
  const stamp = String(info.date).replace(/[:.]/g, '-');
  const json = path.join(values.out, `growth-${stamp}.json`);
  const rows: Row[] = earlier?.rows ?? [];
  const done = (target: string, transport: string, p: Point): Row | undefined =>
    rows.find((r) => r.target === target && r.transport === transport && r.services === p.services && r.clients === p.clients);
  const save = (): void => writeFileSync(json, `${JSON.stringify({ machine: info, options: { ...o, sweep, transports, targets }, rows }, null, 2)}\n`);
  /** Per target and transport, the first point that failed. */
  const failedAt = new Map<string, Point>();
  // One target's whole sweep before the next's, so that with --stop-at the first target named
  // (Mast by default) has its full curves before a peer gets any time.
  for (const target of targets) {
    for (const p of sweep) {
      for (const transport of transports) {
        const base = { target, transport, services: p.services, clients: p.clients, sweeps: p.sweeps };
        const before = done(target, transport, p);
        if (before) {
          if ('failed' in before) failedAt.set(`${target}/${transport}`, p);
          continue;
        }
        const failed = failedAt.get(`${target}/${transport}`);
        const blocked = target === 'peer' ? peerBlocked.get(p.services) : undefined;
        const late = (): boolean => stopAt !== undefined && Date.now() > stopAt;
        if (blocked) {
          rows.push({ ...base, notRun: blocked });
        } else if (failed && failed.services <= p.services && failed.clients <= p.clients) {
          rows.push({ ...base, notRun: `skipped: ${failed.services} services x ${failed.clients} sidecars failed already` });
        } else if (late()) {
          rows.push({ ...base, notRun: `not run: past --stop-at ${values['stop-at']} UTC` });
        } else {
          const release = locked(p) ? await lock(values.lock!, stopAt) : undefined;
          try {
            if (late() || (locked(p) && !release)) {
              rows.push({ ...base, notRun: `not run: past --stop-at ${values['stop-at']} UTC (waited for ${values.lock}, held by other benchmarks)` });
            } else {
              process.stderr.write(`${target} ${transport}: ${p.services} services x ${p.clients} sidecars (load average ${os.loadavg()[0]!.toFixed(1)})\n`);
              rows.push({ ...base, notRun: 'did not finish: the sweep process itself died during this run' });
              save();
              const outcome = await runOutcome(target, transport, p.clients, { ...o, services: p.services });
              rows[rows.length - 1] = { ...outcome, sweeps: p.sweeps };
              if ('failed' in outcome) failedAt.set(`${target}/${transport}`, p);
            }
          } finally {
            release?.();
          }
        }
        save();
      }
    }
  }
  const png = path.join(values.out, `growth-${stamp}.png`);
  plot(json, png);
  console.log(`results: ${path.relative(process.cwd(), json)}\nplot: ${path.relative(process.cwd(), png)}`);
}

if (require.main === module) command('growth', main);
