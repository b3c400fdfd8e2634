// File mode keeps Mast's own CA (root-rotation.ts's state) in one owner-only file,
// `<state dir>/ca.json`: a JSON object of the same keys the `mast-ca` Secret holds in Kubernetes
// mode. The state dir defaults to $XDG_STATE_HOME/mast (~/.local/state/mast), the XDG place for
// state that outlives a run but is not configuration: never inside the config dir, which users
// commit and share. Writes go to a temporary file that is then linked (first creation: whoever
// links first wins, so two Masts starting together share one root) or renamed into place.
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CaState } from './root-rotation';

export const STATE_FILE = 'ca.json';

/** $XDG_STATE_HOME/mast, else ~/.local/state/mast (XDG Base Directory Specification 0.8). */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env['XDG_STATE_HOME'];
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.local', 'state'), 'mast');
}

export function stateFile(dir: string): string {
  return path.join(dir, STATE_FILE);
}

/** The state in `file`, or undefined if there is none. Throws if it is not a JSON object of strings. */
export function readCaState(file: string): CaState | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not the parser's message: it quotes the text, which holds a private key.
    throw new Error(`${file} is not JSON`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || Object.values(parsed).some((v) => typeof v !== 'string')) {
    throw new Error(`${file} is not a JSON object of strings`);
  }
  return parsed as CaState;
}

/** Permission bits beyond the owner's, if any: a CA key readable by others is worth a warning. */
export function openToOthers(file: string): number {
  return statSync(file).mode & 0o077;
}

function writeTemp(file: string, state: CaState): string {
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(state, null, 2)}\n`);
  } finally {
    closeSync(fd);
  }
  // The umask may have taken bits off, never added them; chmod makes 0600 exact.
  chmodSync(tmp, 0o600);
  return tmp;
}

function ensureDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** Creates `file` with `state` unless it exists; returns the state now in the file, and whether it was ours. */
export function createCaStateFile(file: string, state: CaState): { state: CaState; created: boolean } {
  ensureDir(path.dirname(file));
  const tmp = writeTemp(file, state);
  try {
    linkSync(tmp, file);
    return { state, created: true };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const theirs = readCaState(file);
    if (!theirs) throw new Error(`${file} appeared and vanished while Mast created it`);
    return { state: theirs, created: false };
  } finally {
    unlinkSync(tmp);
  }
}

/** Replaces `file` with `state` in one step (a rotation). */
export function replaceCaStateFile(file: string, state: CaState): void {
  ensureDir(path.dirname(file));
  renameSync(writeTemp(file, state), file);
}
