// Secrets hygiene across the e2e suite: before the harness removes a temp dir (processes.ts), every
// log in it (Mast's, Envoy's, the API server's: `*.log`) is searched for a PEM private-key header,
// and what was found is appended to a ledger kept per test run. e2e/zz-secrets-hygiene.test.ts,
// which sorts last, reads the ledger of its own run and fails naming any log that held a key.
// A run is the `node --test` process that runs the files one after another: every file's process
// is its child, so the runner's pid and start time (from /proc) name the run, and a ledger of an
// earlier run (or of a reused pid) is never read. Only the header's line is recorded, never what
// follows it.
import { appendFileSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const LEDGERS = path.join(__dirname, '..', '..', '.run', 'log-scan');
const PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;

/** One log as scanned: its path, size, and the 1-based lines holding a private-key header. */
export interface ScannedLog {
  file: string;
  bytes: number;
  keyLines: number[];
}

/** The runner process's pid and start time (field 22 of /proc/PID/stat), or undefined outside a `node --test` child. */
function runKey(): string | undefined {
  if (!process.env['NODE_TEST_CONTEXT']) return undefined;
  try {
    const stat = readFileSync(`/proc/${process.ppid}/stat`, 'utf8');
    const startTime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    return `${process.ppid}-${startTime}`;
  } catch {
    return undefined;
  }
}

/** This run's ledger file, or undefined when not run by `node --test` (the demo, a script). */
export function ledgerFile(): string | undefined {
  const key = runKey();
  return key && path.join(LEDGERS, `${key}.jsonl`);
}

function logsUnder(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return logsUnder(p);
    return e.isFile() && e.name.endsWith('.log') ? [p] : [];
  });
}

/** The lines of `file` that hold a PEM private-key header (PKCS#8, SEC1 `EC`, PKCS#1 `RSA`, `ENCRYPTED`). */
export function scanFile(file: string): ScannedLog {
  const lines = readFileSync(file, 'latin1').split('\n');
  return { file, bytes: statSync(file).size, keyLines: lines.flatMap((l, i) => (PRIVATE_KEY.test(l) ? [i + 1] : [])) };
}

/** Scans the logs under `dir` into this run's ledger (nothing outside a test run). Synchronous: it also runs at exit. */
export function scanLogs(dir: string): void {
  const ledger = ledgerFile();
  if (!ledger) return;
  const scanned = logsUnder(dir).map(scanFile);
  if (scanned.length === 0) return;
  mkdirSync(LEDGERS, { recursive: true });
  appendFileSync(ledger, scanned.map((s) => `${JSON.stringify(s)}\n`).join(''));
}

/** What this run's ledger holds so far. */
export function readLedger(): ScannedLog[] {
  const ledger = ledgerFile();
  if (!ledger) return [];
  try {
    return readFileSync(ledger, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as ScannedLog);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}
