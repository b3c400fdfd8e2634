// Which files in a config directory hold configuration, and reading one of them.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { decodeConfigText, diagnostic, DOCUMENT_LIMITS, parseDocuments, tooLarge, type ParsedDocuments } from '../../model';

const CONFIG_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/**
 * A file name that holds configuration. Dot-names never do: they are editors' swap and lock
 * files, and the `..data` twins Kubernetes keeps when it mounts a ConfigMap, which would otherwise
 * define every object twice.
 */
export function isConfigFile(name: string): boolean {
  return CONFIG_EXTENSIONS.has(path.extname(name).toLowerCase()) && !name.startsWith('.');
}

export interface ConfigDirContents {
  /** Config files, sorted. */
  files: string[];
  /** `dir` and every directory below it that is not hidden. */
  dirs: string[];
}

/** Everything under `dir`, recursively, following symlinks. */
export async function scanConfigDir(dir: string): Promise<ConfigDirContents> {
  const contents: ConfigDirContents = { files: [], dirs: [] };
  const visited = new Set<string>();
  const walk = async (current: string): Promise<void> => {
    const real = await fs.realpath(current);
    if (visited.has(real)) return; // a symlink loop
    visited.add(real);
    contents.dirs.push(current);
    for (const entry of await fs.readdir(current, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const full = path.join(current, entry.name);
      const stat = entry.isSymbolicLink() ? await fs.stat(full).catch(() => undefined) : entry;
      if (stat?.isDirectory()) await walk(full);
      else if (stat?.isFile() && isConfigFile(entry.name)) contents.files.push(full);
    }
  };
  await walk(dir);
  contents.files.sort();
  return contents;
}

/** A config file's documents, and when it was last modified (ms since the epoch). */
export interface ConfigFile extends ParsedDocuments {
  modifiedMs: number;
}

/**
 * Undefined when the file is gone. An unreadable file is a MAST1009 finding, one too large or not
 * UTF-8 a MAST1013 or MAST1012 one, never an exception; a file over the size limit is not read.
 */
export async function readConfigFile(file: string): Promise<ConfigFile | undefined> {
  let bytes: Buffer;
  let modifiedMs = 0;
  try {
    const stat = await fs.stat(file);
    modifiedMs = stat.mtimeMs;
    if (stat.size > DOCUMENT_LIMITS.maxFileBytes) return { objects: [], diagnostics: [tooLarge(file, stat.size)], modifiedMs };
    bytes = await fs.readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    return { objects: [], diagnostics: [diagnostic('MAST1009', `cannot read ${file}: ${code ?? String(err)}`, { origin: { file } })], modifiedMs };
  }
  const { text, diagnostics } = decodeConfigText(bytes, file);
  if (text === undefined) return { objects: [], diagnostics, modifiedMs };
  const parsed = parseDocuments(text, file);
  return { objects: parsed.objects, diagnostics: [...diagnostics, ...parsed.diagnostics], modifiedMs };
}
