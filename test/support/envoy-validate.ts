// Real Envoy as the judge of configuration: `envoy --mode validate` on a bootstrap file (Envoy
// loads the whole config, then exits 0 or prints why not). A run costs about 0.1 s, so tests put
// many candidates into one bootstrap and bisect only a refused batch: Envoy stops at its first
// error, so each refused half is searched again until the refused candidates stand alone.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** `.venv/bin/envoy` (`make envoy`), or ENVOY_BIN. */
export const envoyBin = process.env.ENVOY_BIN || join(__dirname, '../../.venv/bin/envoy');

/** A node:test `skip` value: false when Envoy is there, else why the test cannot run. */
export const skipWithoutEnvoy: false | string = existsSync(envoyBin) ? false : `no Envoy at ${envoyBin}; set ENVOY_BIN or run \`make envoy\``;

export interface EnvoyVerdict {
  ok: boolean;
  /** Envoy's output from its error on (the last 1000 characters), empty when it accepted. */
  output: string;
}

/** Bootstrap files go to one temporary directory per process, removed at exit. */
let work: string | undefined;
let files = 0;

function workDir(): string {
  if (!work) {
    const dir = mkdtempSync(join(tmpdir(), 'mast-envoy-validate-'));
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    work = dir;
  }
  return work;
}

/** Envoy runs at once, whoever asks: the test machine has two cores. */
const MAX_RUNNING = 2;
let running = 0;
const waiting: (() => void)[] = [];

/** Runs `run` when fewer than MAX_RUNNING are running; a finished run hands its place to the next waiting. */
async function slot<R>(run: () => Promise<R>): Promise<R> {
  if (running < MAX_RUNNING) running++;
  else await new Promise<void>((resolve) => waiting.push(resolve));
  try {
    return await run();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else running--;
  }
}

/**
 * `envoy --mode validate` on `bootstrap` (a JSON object): whether Envoy accepts it, and its words
 * if not. At most two run at a time, however many are asked for at once.
 */
export function envoyValidate(bootstrap: object): Promise<EnvoyVerdict> {
  runs++;
  return slot(() => runEnvoy(bootstrap));
}

let runs = 0;

/** How many times this process has asked Envoy. */
export function envoyRuns(): number {
  return runs;
}

function runEnvoy(bootstrap: object): Promise<EnvoyVerdict> {
  const file = join(workDir(), `bootstrap-${files++}.json`);
  writeFileSync(file, JSON.stringify(bootstrap));
  return new Promise((resolve, reject) => {
    // Stdout is a file, not Node's pipe (a socket): Envoy opens a file access log at /dev/stdout
    // when it loads one, and open(2) of a socket's /dev/stdout fails (ENXIO).
    const stdoutFile = `${file}.stdout`;
    const stdout = openSync(stdoutFile, 'w');
    const child = spawn(envoyBin, ['--mode', 'validate', '-c', file, '--log-level', 'error'], { stdio: ['ignore', stdout, 'pipe'] });
    closeSync(stdout);
    let output = '';
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      output = readFileSync(stdoutFile, 'utf8') + output;
      rmSync(file, { force: true });
      rmSync(stdoutFile, { force: true });
      const at = output.lastIndexOf('error initializing configuration');
      resolve({ ok: code === 0, output: code === 0 ? '' : output.slice(Math.max(at, 0)).slice(-1000) });
    });
  });
}

/**
 * The items Envoy refuses among `items`, each with Envoy's words when it stood alone: `bootstrapOf`
 * puts a group of items into one bootstrap; a refused group is halved until single items remain.
 * One Envoy run when all are accepted.
 */
export async function refusedByEnvoy<T>(items: readonly T[], bootstrapOf: (group: readonly T[]) => object): Promise<Map<T, string>> {
  const found = new Map<T, string>();
  const search = async (group: readonly T[]): Promise<void> => {
    if (group.length === 0) return;
    const verdict = await envoyValidate(bootstrapOf(group));
    if (verdict.ok) return;
    if (group.length === 1) {
      found.set(group[0] as T, verdict.output);
      return;
    }
    const half = Math.ceil(group.length / 2);
    await Promise.all([search(group.slice(0, half)), search(group.slice(half))]);
  };
  await search(items);
  return found;
}
