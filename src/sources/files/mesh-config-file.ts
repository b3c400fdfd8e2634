// `mast serve --mesh-config FILE`: Istio's MeshConfig YAML in a file, read again whenever it changes,
// as istiod watches its --meshConfig file (pilot/pkg/bootstrap/mesh.go: when the file exists it is
// the mesh config and the `istio` ConfigMap is not read). The text enters the store as the root
// namespace's `istio` ConfigMap, so it is validated, kept at its last good version and read by
// translation exactly as the ConfigMap would be; a store made with `meshConfigFile` ignores any
// other (one in a config dir draws MAST1003).
import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { ConfigStore, Logger } from '../../model';
import { MESH_CONFIG_KEY, MESH_CONFIG_MAP } from '../../model/parse/mesh-config-map';
import { readConfigText } from './config-files';

export interface MeshConfigFileWatch {
  /** Settles once the file has been read once (or found missing: then Istio's defaults hold). */
  ready: Promise<void>;
  close(): void;
}

/** The store source id of `file`. */
export function meshConfigSourceId(file: string): string {
  return `mesh-config:${file}`;
}

/**
 * Keeps `file`'s MeshConfig in `store`. The parent directory is watched, not the file, so an
 * editor's rename-over and a mounted ConfigMap's `..data` swap are seen; a missing file withdraws
 * the mesh config (Istio's defaults). Reads run one at a time, `debounceMs` after the last event.
 */
export function watchMeshConfigFile(file: string, store: ConfigStore, log: Logger, debounceMs = 50): MeshConfigFileWatch {
  const id = meshConfigSourceId(file);
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let queue: Promise<void> = Promise.resolve();
  const load = (): Promise<void> => {
    queue = queue
      .then(async () => {
        if (closed) return;
        const read = await readConfigText(file);
        if (!read) {
          store.replaceSource(id, []);
          log.warn({ file }, `mesh config ${file} is missing; Istio's defaults apply`);
          return;
        }
        const raw = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: MESH_CONFIG_MAP, namespace: store.rootNamespace }, data: { [MESH_CONFIG_KEY]: read.text ?? '' } };
        // A file that could not be read (MAST1009, 1012, 1013) keeps what it gave before, as config files do.
        store.replaceSource(id, read.text === undefined ? [] : [{ raw, origin: { file } }], read.diagnostics);
      })
      .catch((err: unknown) => log.error({ err, file }, `mesh config ${file}: ${String(err)}`));
    return queue;
  };
  const base = path.basename(file);
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(path.dirname(file), (_event, name) => {
      if (closed || (name !== null && name !== base && !name.startsWith('..'))) return;
      clearTimeout(timer);
      timer = setTimeout(() => void load(), debounceMs);
    });
    watcher.on('error', (err) => log.warn({ err, file }, `stopped watching ${file}: ${err.message}`));
  } catch (err) {
    log.warn({ err, file }, `cannot watch ${file}: ${(err as Error).message}; it is read once`);
  }
  return {
    ready: load(),
    close() {
      closed = true;
      clearTimeout(timer);
      watcher?.close();
    },
  };
}
