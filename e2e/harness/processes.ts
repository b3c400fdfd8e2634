// Every child process, temp dir and server the harness makes is registered here, so one call (from a
// test's `after()`, the demo's Ctrl-C, or process exit) removes them all, even after a failure.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { waitFor } from './net';
import { scanLogs } from './log-scan';

export interface Proc {
  name: string;
  child: ChildProcess;
  logFile: string;
  /** Resolves with the exit code (or signal name) once the process has gone. */
  exited: Promise<number | string>;
}

const procs = new Set<Proc>();
const dirs = new Set<string>();
const closers = new Set<() => unknown>();

/** Registers anything else to undo at cleanup, such as an in-process server. */
export function onCleanup(fn: () => unknown): void {
  closers.add(fn);
}

/** Starts a process whose stdout and stderr go to `logFile`, with `env` (default: the test's own)
 * in `cwd` (default: the test's own). */
export function spawnLogged(name: string, cmd: string, args: string[], logFile: string, env?: NodeJS.ProcessEnv, cwd?: string): Proc {
  const fd = openSync(logFile, 'a');
  const child = spawn(cmd, args, { stdio: ['ignore', fd, fd], ...(env ? { env } : {}), ...(cwd ? { cwd } : {}) });
  closeSync(fd);
  return track(name, child, logFile);
}

/** Starts a process that talks on its stdin and stdout (both pipes); its stderr goes to `logFile`. */
export function spawnPiped(name: string, cmd: string, args: string[], logFile: string): Proc {
  const fd = openSync(logFile, 'a');
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', fd] });
  closeSync(fd);
  return track(name, child, logFile);
}

/** Registers `child` for cleanup() until it exits. */
function track(name: string, child: ChildProcess, logFile: string): Proc {
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
    child.once('error', (err) => resolve(err.message));
  });
  const proc: Proc = { name, child, logFile, exited };
  procs.add(proc);
  void exited.then(() => procs.delete(proc));
  return proc;
}

export function isRunning(p: Proc): boolean {
  return p.child.exitCode === null && p.child.signalCode === null;
}

/** The end of a process's log, for error messages that must explain a failed start. */
export function logTail(p: Proc, lines = 20): string {
  try {
    return readFileSync(p.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Polls `ready` until it holds; fails at once if the process exits, and either way the error ends
 * with the process's log, which is what explains a start that went wrong.
 */
export async function waitReady(p: Proc, ready: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  let settled = false;
  const exited = p.exited.then((code) => {
    if (!settled) throw new Error(`${p.name} exited (${code})`);
  });
  try {
    await Promise.race([waitFor(ready, timeoutMs, `${p.name} to be ready`), exited]);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- ${p.logFile}\n${logTail(p)}`);
  } finally {
    settled = true;
  }
}

/** SIGTERM, then SIGKILL if the process is still there after `graceMs`. */
export async function stop(p: Proc, graceMs = 2000): Promise<void> {
  if (!isRunning(p)) return;
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
  await p.exited;
  clearTimeout(timer);
}

/** A fresh temp dir, removed by `cleanup()` unless MAST_E2E_KEEP is set (to read its logs). */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `mast-${prefix}-`));
  dirs.add(dir);
  return dir;
}

function removeDirs(): void {
  for (const dir of dirs) {
    // Before the logs go: the suite's last file fails if any held a private key (log-scan.ts).
    scanLogs(dir);
    if (process.env['MAST_E2E_KEEP']) console.error(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
  dirs.clear();
}

export async function cleanup(): Promise<void> {
  await Promise.all([...procs].map((p) => stop(p)));
  await Promise.all([...closers].map((fn) => fn()));
  closers.clear();
  removeDirs();
}

// Last resort when nobody called cleanup(): 'exit' allows no waiting, so kill outright.
process.on('exit', () => {
  for (const p of procs) p.child.kill('SIGKILL');
  removeDirs();
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void cleanup().finally(() => process.exit(128 + (signal === 'SIGINT' ? 2 : 15)));
  });
}
