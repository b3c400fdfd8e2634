// Keeps a ConfigStore in step with a directory of YAML: each file is one source, replaced whole
// whenever the file changes and withdrawn when it goes.
//
// One non-recursive fs.watch per directory, rather than `recursive: true`: on Linux, Node 20's
// recursive watcher follows files, and loses a file for good once an editor replaces it by
// renaming a new file over it (later edits and its deletion go unreported). A directory watch
// reports every name that changes inside it, whichever inode it points to.
import { promises as fs, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { ConfigStore, Logger } from '../../model';
import { isConfigFile, readConfigFile, scanConfigDir, type ConfigFile } from './config-files';

export interface WatchOptions {
  /** Quiet time after a file's last event before it is read, so one save is read once. */
  debounceMs?: number;
}

export interface ConfigDirWatch {
  /** Settles once every file has been loaded once; rejects when `dir` cannot be read. */
  ready: Promise<void>;
  close(): void;
}

export function watchConfigDir(dir: string, store: ConfigStore, log: Logger, options: WatchOptions = {}): ConfigDirWatch {
  const debounceMs = options.debounceMs ?? 50;
  const loaded = new Set<string>();
  const watchers = new Map<string, FSWatcher>();
  const timers = new Map<string, NodeJS.Timeout>();
  let closed = false;
  // Reads and store writes run one at a time, in order, so an older read never lands after a newer one.
  let queue: Promise<void> = Promise.resolve();
  const enqueue = (task: () => Promise<void>): Promise<void> => {
    const run = queue.then(() => (closed ? undefined : task()));
    queue = run.catch((err: unknown) => log.error({ err, dir }, `config dir ${dir}: ${String(err)}`));
    return run;
  };
  const later = (key: string, task: () => Promise<void>): void => {
    clearTimeout(timers.get(key));
    const timer = setTimeout(() => {
      timers.delete(key);
      void enqueue(task);
    }, debounceMs);
    timers.set(key, timer);
  };

  /** `parsed` undefined: the file is gone. */
  const apply = (file: string, parsed: ConfigFile | undefined): void => {
    if (parsed) {
      loaded.add(file);
      store.replaceSource(file, parsed.objects, parsed.diagnostics, parsed.createdMs);
    } else if (loaded.delete(file)) {
      store.replaceSource(file, []);
      log.info({ file }, `config file ${file} removed`);
    }
  };
  const load = async (file: string): Promise<void> => apply(file, await readConfigFile(file));

  /**
   * Reloads everything: new and vanished directories and files, and files behind swapped
   * symlinks. Every file is read before any is applied, so the store sees one change, not one per file.
   */
  const rescan = async (): Promise<void> => {
    const { files, dirs } = await scanConfigDir(dir);
    syncWatchers(dirs);
    const present = new Set(files);
    const read: [string, ConfigFile | undefined][] = [...loaded].filter((f) => !present.has(f)).map((f) => [f, undefined]);
    for (const file of files) read.push([file, await readConfigFile(file)]);
    for (const [file, parsed] of read) apply(file, parsed);
  };

  const onEvent = (parent: string, name: string | null): void => {
    if (closed) return;
    if (name === null) {
      later('rescan', rescan);
      return;
    }
    const full = path.join(parent, name);
    // A directory may carry a config file's name (`sub.yaml/`): it is walked, not read.
    if (isConfigFile(name)) later(full, async () => ((await isDirectory(full)) ? rescan() : load(full)));
    // `..data` is how Kubernetes swaps a mounted ConfigMap; other dot-names are editors' litter.
    else if (name.startsWith('..') || watchers.has(full)) later('rescan', rescan);
    else if (!name.startsWith('.')) later(full, async () => ((await isDirectory(full)) ? rescan() : undefined));
  };

  const syncWatchers = (dirs: string[]): void => {
    for (const [watched, watcher] of watchers) {
      if (!dirs.includes(watched)) {
        watcher.close();
        watchers.delete(watched);
      }
    }
    for (const d of dirs) {
      if (watchers.has(d)) continue;
      const watcher = watch(d, (_event, name) => onEvent(d, name));
      watcher.on('error', (err) => log.warn({ err, dir: d }, `stopped watching ${d}: ${err.message}`));
      watchers.set(d, watcher);
    }
  };

  const ready = enqueue(async () => {
    await rescan();
    log.info({ dir, files: loaded.size }, `loaded ${loaded.size} config files from ${dir}`);
  });
  return {
    ready,
    close() {
      closed = true;
      for (const timer of timers.values()) clearTimeout(timer);
      for (const watcher of watchers.values()) watcher.close();
      watchers.clear();
    },
  };
}

async function isDirectory(p: string): Promise<boolean> {
  return (await fs.stat(p).catch(() => undefined))?.isDirectory() ?? false;
}
