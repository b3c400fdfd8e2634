// Which files in a config directory hold configuration, and reading one of them.
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { decodeConfigText, diagnostic, DOCUMENT_LIMITS, parseDocuments, tooLarge, type Diagnostic, type ParsedDocuments } from '../../model';

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
      // Pipes and devices with a config file's name are listed too: reading them is a finding.
      else if (stat && isConfigFile(entry.name)) contents.files.push(full);
    }
  };
  await walk(dir);
  contents.files.sort();
  return contents;
}

/** A config file's documents, and when it was created (ms since the epoch), which ranks duplicates. */
export interface ConfigFile extends ParsedDocuments {
  /**
   * The file's birth time where the file system records one, else its last modification: an edit
   * must not make the served copy of a duplicated object the younger one at the next start.
   */
  createdMs: number;
}

/** What a stat says a non-regular file is, for the finding. */
function fileType(stat: { isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): string {
  if (stat.isDirectory()) return 'directory';
  if (stat.isFIFO()) return 'named pipe';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'device';
  if (stat.isSocket()) return 'socket';
  return 'special file';
}

/** A config file's text (undefined when it could not be read, as `diagnostics` say) and when it was created. */
export interface ConfigText {
  text?: string;
  diagnostics: Diagnostic[];
  createdMs: number;
}

/**
 * Undefined when the file is gone. An unreadable file is a MAST1009 finding (so is anything but a
 * regular file: a pipe would block every later read, /dev/zero never end), one too large or not
 * UTF-8 a MAST1013 or MAST1012 one, never an exception. At most DOCUMENT_LIMITS.maxFileBytes + 1
 * bytes are read, whatever the file claims its size is.
 */
export async function readConfigFile(file: string): Promise<ConfigFile | undefined> {
  const read = await readConfigText(file);
  if (!read) return undefined;
  const { text, diagnostics, createdMs } = read;
  if (text === undefined) return { objects: [], diagnostics, createdMs };
  const parsed = parseDocuments(text, file);
  return { objects: parsed.objects, diagnostics: [...diagnostics, ...parsed.diagnostics], createdMs };
}

/** A config file's text, decoded, with readConfigFile's limits and findings; undefined when the file is gone. */
export async function readConfigText(file: string): Promise<ConfigText | undefined> {
  const origin = { file };
  let handle: fs.FileHandle | undefined;
  let createdMs = 0;
  let bytes: Buffer;
  try {
    // Non-blocking: opening a named pipe must not wait for a writer.
    handle = await fs.open(file, constants.O_RDONLY | constants.O_NONBLOCK);
    const stat = await handle.stat();
    createdMs = stat.birthtimeMs || stat.mtimeMs;
    if (!stat.isFile()) {
      return { diagnostics: [diagnostic('MAST1009', `${file} is a ${fileType(stat)}, not a regular file, and is not read`, { origin })], createdMs };
    }
    if (stat.size > DOCUMENT_LIMITS.maxFileBytes) return { diagnostics: [tooLarge(file, stat.size)], createdMs };
    bytes = await readAtMost(handle, DOCUMENT_LIMITS.maxFileBytes + 1);
    if (bytes.length > DOCUMENT_LIMITS.maxFileBytes) return { diagnostics: [tooLarge(file, bytes.length)], createdMs };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    return { diagnostics: [diagnostic('MAST1009', `cannot read ${file}: ${code ?? String(err)}`, { origin })], createdMs };
  } finally {
    await handle?.close();
  }
  const { text, diagnostics } = decodeConfigText(bytes, file);
  return { ...(text === undefined ? {} : { text }), diagnostics, createdMs };
}

async function readAtMost(handle: fs.FileHandle, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  while (total < limit) {
    const chunk = Buffer.alloc(Math.min(64 * 1024, limit - total));
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
    if (bytesRead === 0) break;
    chunks.push(chunk.subarray(0, bytesRead));
    total += bytesRead;
  }
  return Buffer.concat(chunks);
}
