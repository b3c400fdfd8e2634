import { promises as fs } from 'node:fs';
import { ConfigStore } from '../../model';
import { readConfigFile, scanConfigDir } from './config-files';

/**
 * Reads a directory (recursively) or a single file into `store`, once: each file becomes one
 * source named by its path.
 */
export async function loadConfigDir(dirOrFile: string, store = new ConfigStore()): Promise<ConfigStore> {
  const files = (await fs.stat(dirOrFile)).isDirectory() ? (await scanConfigDir(dirOrFile)).files : [dirOrFile];
  for (const file of files) {
    const parsed = await readConfigFile(file);
    if (parsed) store.replaceSource(file, parsed.objects, parsed.diagnostics);
  }
  return store;
}
