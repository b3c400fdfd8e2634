// Where the CA comes from in file mode: a plugged-in CA from `--ca-dir` (Istio's cacerts files),
// else Mast's own root in the state file (created owner-only on first start). Both are polled
// once a second, so a rotation (`mast ca rotate`, or new cacerts files) is taken up by a running
// Mast; a change that does not load keeps the CA that did, as Istio's cacerts watch does.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Logger } from '../model';
import type { CaOptions } from './ca';
import type { MeshCa } from './mesh-ca';
import { pluggedInCa, readPlugInDir } from './plug-in';
import { newCaState, pluggedInMaterial, selfSignedMaterial, type CaMaterial } from './root-rotation';
import { createCaStateFile, openToOthers, readCaState, stateFile } from './state-file';

export interface FileCaOptions {
  /** A plugged-in CA's directory (`mast serve --ca-dir`); wins over the state dir. */
  caDir?: string;
  /** Where Mast keeps its own root (`mast serve --state-dir`). */
  stateDir: string;
  log: Logger;
  /** How often the files are looked at again (default 1 s). */
  pollMs?: number;
  ca?: CaOptions;
}

export interface FileCa {
  /** The file or directory the CA was loaded from. */
  readonly from: string;
  close(): void;
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Loads the CA into `mesh` and keeps it in step with its files. Throws when the CA cannot be
 * loaded at start (an incomplete or inconsistent plug-in, an unreadable state file): Mast does
 * not start with a CA other than the one it was told to use.
 */
export async function startFileCa(mesh: MeshCa, o: FileCaOptions): Promise<FileCa> {
  const { log } = o;
  let load: () => { fingerprint: string; material: () => Promise<CaMaterial> };
  let from: string;
  if (o.caDir !== undefined) {
    const dir = o.caDir;
    from = dir;
    load = () => {
      const files = readPlugInDir(dir);
      return { fingerprint: digest(JSON.stringify(files)), material: async () => pluggedInMaterial(await pluggedInCa(files, dir, o.ca), `plug-in CA ${dir}`) };
    };
  } else {
    const file = stateFile(o.stateDir);
    from = file;
    let state = readCaState(file);
    if (!state) {
      const made = createCaStateFile(file, await newCaState(o.ca));
      state = made.state;
      if (made.created) log.info({ file }, `created Mast's root CA in ${file} (owner-only)`);
    }
    const open = openToOthers(file);
    if (open) log.warn({ file, mode: `0${open.toString(8)}` }, `${file} holds the CA key and is readable by others; chmod 600 it`);
    load = () => {
      const text = readFileSync(file, 'utf8');
      return { fingerprint: digest(text), material: async () => selfSignedMaterial(readCaState(file)!, `state file ${file}`, o.ca) };
    };
  }

  let current = load();
  mesh.use(await current.material());
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    let next: ReturnType<typeof load>;
    try {
      next = load();
    } catch (err) {
      log.error({ from, err: err instanceof Error ? err.message : String(err) }, 'cannot read the CA files; keeping the CA loaded before');
      return;
    }
    if (next.fingerprint === current.fingerprint) return;
    current = next;
    busy = true;
    next.material().then(
      (material) => mesh.use(material),
      (err: unknown) => log.error({ from, err: err instanceof Error ? err.message : String(err) }, 'the changed CA files do not load; keeping the CA loaded before'),
    ).finally(() => (busy = false));
  }, o.pollMs ?? 1000);
  timer.unref();
  return { from, close: () => clearInterval(timer) };
}
