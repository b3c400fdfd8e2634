import { promises as fs } from 'node:fs';
import { ConfigStore } from '../../model';
import { readConfigFile, scanConfigDir, type ConfigFile } from './config-files';

/**
 * Reads a directory (recursively) or a single file into `store`, once: each file becomes one
 * source named by its path, ranked by when it was created (of two copies of an object, the
 * older file's is served and the later one reported).
 */
export async function loadConfigDir(dirOrFile: string, store = new ConfigStore()): Promise<ConfigStore> {
  const files = (await fs.stat(dirOrFile)).isDirectory() ? (await scanConfigDir(dirOrFile)).files : [dirOrFile];
  const read: [string, ConfigFile | undefined][] = [];
  for (const file of files) read.push([file, await readConfigFile(file)]);
  // Applied together, in one tick: one rebuild of the store rather than one per file.
  for (const [file, parsed] of read) if (parsed) store.replaceSource(file, parsed.objects, parsed.diagnostics, parsed.createdMs);
  return store;
}
