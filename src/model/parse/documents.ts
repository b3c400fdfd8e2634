// Multi-document YAML (or JSON) text -> raw objects, each with where it came from. A broken
// document costs only itself: the others in the file still load. A hostile one costs bounded
// time and memory: files are capped in size, nesting in depth, and what aliases expand to in
// nodes, and every failure, whatever throws it, is a finding naming the file and document.
//
// js-yaml rather than the `yaml` package: on a 6 MB list `yaml` took 26 s and 2.1 GB, js-yaml 2 s
// and 0.5 GB, and js-yaml bounds nesting while it parses (4 MB of `[` made `yaml` run out of memory).
import { CORE_SCHEMA, load, mergeTag, YAMLException } from 'js-yaml';
import { diagnostic } from '../errors';
import type { Diagnostic, Kind, ObjectRef, Origin } from '../types';
import { isRecord } from './read';

export interface RawObject {
  raw: unknown;
  origin: Origin;
}

export interface ParsedDocuments {
  objects: RawObject[];
  diagnostics: Diagnostic[];
}

/**
 * What one file may cost. Kubernetes refuses objects over 1.5 MiB (etcd's request limit), so a
 * file over 4 MiB is many objects or not configuration; Istio's deepest kinds nest about 15
 * levels; what aliases expand to is counted as the tree a reader of the YAML would write out.
 */
export const DOCUMENT_LIMITS = { maxFileBytes: 4 * 1024 * 1024, maxDepth: 100, maxNodes: 1_000_000 } as const;

/**
 * YAML 1.2's core schema (`yes` and `on` stay strings, as in Istio's own YAML tooling) plus merge
 * keys (`<<: *base`), which kubectl's reader resolves too.
 */
const SCHEMA = CORE_SCHEMA.withTags(mergeTag);

/** A line that starts (`---`) or ends (`...`) a YAML document: YAML forbids it inside any scalar. */
const MARKER = /^(---|\.\.\.)(?=[ \t]|$)/;

interface Chunk {
  text: string;
  /** 0-based line of the chunk's first line in the file. */
  line: number;
}

/**
 * The file's documents as texts, cut at document markers, so a syntax error in one document does
 * not lose the others. A marker line's own content (`--- {a: 1}`) stays with its document, moved
 * right by blanks so columns still match. Numbered as YAML numbers them: text before the first
 * `---` is a document only if it has content.
 */
function splitDocuments(text: string): Chunk[] {
  const chunks: Chunk[] = [];
  let current: string[] = [];
  let start = 0;
  let explicit = false;
  const lines = text.split(/\r\n|\r|\n/); // YAML reads a lone CR as a line break too
  const close = (): void => {
    const body = current.join('\n');
    if (explicit || hasContent(body)) chunks.push({ text: body, line: start });
  };
  lines.forEach((line, i) => {
    const marker = MARKER.exec(line);
    if (!marker) {
      current.push(line);
      return;
    }
    close();
    explicit = marker[1] === '---';
    current = explicit ? [' '.repeat(3) + line.slice(3)] : [];
    start = i;
  });
  close();
  return chunks;
}

/** Anything but blank lines, comments and directives. */
function hasContent(text: string): boolean {
  return text.split('\n').some((l) => !/^\s*(#.*)?$/.test(l) && !l.startsWith('%'));
}

/**
 * The documents of one file's text, each with its origin (`file`, 1-based `doc`), and a finding
 * for each document that cannot be read (MAST1001 syntax, MAST1013 size, nesting or expansion).
 * Never throws: whatever the parser or a limit check throws about a document is that document's
 * finding.
 */
export function parseDocuments(text: string, file: string): ParsedDocuments {
  const objects: RawObject[] = [];
  const diagnostics: Diagnostic[] = [];
  if (Buffer.byteLength(text) > DOCUMENT_LIMITS.maxFileBytes) {
    diagnostics.push(tooLarge(file, Buffer.byteLength(text)));
    return { objects, diagnostics };
  }
  const budget = { nodes: DOCUMENT_LIMITS.maxNodes };
  splitDocuments(text).forEach((chunk, i) => {
    const origin: Origin = { file, doc: i + 1 };
    if (!hasContent(chunk.text)) return; // an empty document, e.g. after a trailing `---`
    let raw: unknown;
    let problem: string | undefined;
    try {
      raw = load(chunk.text, { schema: SCHEMA, filename: file, maxDepth: DOCUMENT_LIMITS.maxDepth });
      problem = expansionProblem(raw, budget);
    } catch (err) {
      diagnostics.push(malformed(err, origin, chunk.line));
      return;
    }
    if (problem) {
      diagnostics.push(diagnostic('MAST1013', problem, { origin, ...claimedObject(raw) }));
      return;
    }
    if (raw === null || raw === undefined) return;
    objects.push(...expandList(raw, origin));
  });
  return { objects, diagnostics };
}

/** MAST1013 for a file of `bytes` bytes, over DOCUMENT_LIMITS.maxFileBytes. */
export function tooLarge(file: string, bytes: number): Diagnostic {
  const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return diagnostic('MAST1013', `file is ${mib(bytes)}, more than the ${mib(DOCUMENT_LIMITS.maxFileBytes)} Mast reads; split it`, { origin: { file } });
}

/** MAST1001 for whatever the parser threw, on one line, with the line it points at. */
function malformed(err: unknown, origin: Origin, firstLine: number): Diagnostic {
  if (err instanceof YAMLException) {
    const line = err.mark ? firstLine + err.mark.line + 1 : undefined;
    const column = err.mark ? ` (column ${err.mark.column + 1})` : '';
    const reason = err.reason || err.message.split('\n')[0] || 'malformed YAML';
    const code = /maxDepth/.test(reason) ? 'MAST1013' : 'MAST1001';
    const message = code === 'MAST1013' ? `nested more than ${DOCUMENT_LIMITS.maxDepth} levels deep` : `${reason}${column}`;
    return diagnostic(code, message, { origin: line === undefined ? origin : { ...origin, line } });
  }
  return diagnostic('MAST1001', `cannot be parsed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`, { origin });
}

/**
 * Why the document is refused, if it is: aliases make the parsed value a graph sharing nodes, and
 * everything downstream (schema checks, fingerprints, JSON) walks it as the tree it stands for.
 * Each shared node is measured once (its expanded size and height), so the check is linear in
 * the document however it expands; it walks with a stack of its own, so no input can exhaust
 * the call stack. `budget.nodes` is what the file has left: every document of a file draws on one
 * budget, so twenty documents just under a per-document limit cannot add up.
 */
function expansionProblem(root: unknown, budget: { nodes: number }): string | undefined {
  interface Frame {
    value: object;
    children: unknown[];
    next: number;
    nodes: number;
    height: number;
  }
  const measured = new Map<object, { nodes: number; height: number }>();
  const open = new Set<object>();
  const stack: Frame[] = [];
  const tooDeep = `aliases expand to more than ${DOCUMENT_LIMITS.maxDepth} levels of nesting`;
  /** Measures `value` if it is known or a leaf; otherwise opens a frame for it. */
  const visit = (value: unknown): { nodes: number; height: number } | string | undefined => {
    if (typeof value !== 'object' || value === null) return { nodes: 1, height: 0 };
    const known = measured.get(value);
    if (known) return stack.length + known.height > DOCUMENT_LIMITS.maxDepth ? tooDeep : known;
    if (open.has(value)) return 'an alias refers to a node that contains it (a recursive structure)';
    if (stack.length >= DOCUMENT_LIMITS.maxDepth) return tooDeep;
    open.add(value);
    stack.push({ value, children: Object.values(value), next: 0, nodes: 1, height: 0 });
    return undefined;
  };
  let result = visit(root);
  while (stack.length > 0) {
    if (typeof result === 'string') return result;
    const frame = stack[stack.length - 1] as Frame;
    if (result) {
      frame.nodes += result.nodes;
      frame.height = Math.max(frame.height, result.height + 1);
      if (frame.nodes > budget.nodes) return `the file's documents expand (aliases included) to more than ${DOCUMENT_LIMITS.maxNodes} nodes`;
    }
    if (frame.next < frame.children.length) {
      result = visit(frame.children[frame.next++]);
      continue;
    }
    stack.pop();
    open.delete(frame.value);
    result = { nodes: frame.nodes, height: frame.height };
    measured.set(frame.value, result);
  }
  if (typeof result === 'string') return result;
  budget.nodes -= result?.nodes ?? 0;
  return undefined;
}

/** The object a refused document says it is, if it says (kind, metadata.name), so the finding can name it. */
function claimedObject(raw: unknown): { object?: ObjectRef } {
  if (!isRecord(raw) || typeof raw.kind !== 'string' || !isRecord(raw.metadata) || typeof raw.metadata.name !== 'string') return {};
  const namespace = typeof raw.metadata.namespace === 'string' && raw.metadata.namespace ? raw.metadata.namespace : 'default';
  return { object: { kind: raw.kind as Kind, namespace, name: raw.metadata.name } };
}

/** `kind: List` (what `kubectl get -o yaml` prints) stands for its items. */
function expandList(raw: unknown, origin: Origin): RawObject[] {
  if (isRecord(raw) && raw.kind === 'List' && Array.isArray(raw.items)) return raw.items.map((item: unknown) => ({ raw: item, origin }));
  return [{ raw, origin }];
}

/**
 * A config file's bytes as text. UTF-8 (a BOM is dropped); UTF-16 with a byte-order mark, which
 * Windows tools write and Kubernetes' YAML reader accepts, is read with a MAST1014 warning; anything else
 * that is not UTF-8 (UTF-16 without a BOM, binary) is a MAST1012 error instead of a puzzling
 * "expected a mapping".
 */
export function decodeConfigText(bytes: Uint8Array, file: string): { text?: string; diagnostics: Diagnostic[] } {
  const origin = { file };
  const utf32 = bytes[0] === 0xff && bytes[1] === 0xfe && bytes[2] === 0 && bytes[3] === 0 ? 'UTF-32LE' : bytes[0] === 0 && bytes[1] === 0 && bytes[2] === 0xfe && bytes[3] === 0xff ? 'UTF-32BE' : undefined;
  if (utf32) return { diagnostics: [diagnostic('MAST1012', `file is ${utf32}, which Mast does not read; save it as UTF-8`, { origin })] };
  const utf16 = bytes[0] === 0xff && bytes[1] === 0xfe ? 'utf-16le' : bytes[0] === 0xfe && bytes[1] === 0xff ? 'utf-16be' : undefined;
  if (utf16) {
    const text = new TextDecoder(utf16).decode(bytes.subarray(2));
    return { text, diagnostics: [diagnostic('MAST1014', `file is ${utf16.toUpperCase()} (it has a byte-order mark) and was read as such; save it as UTF-8`, { origin })] };
  }
  if (bytes.includes(0)) {
    return { diagnostics: [diagnostic('MAST1012', 'file holds NUL bytes: it is UTF-16 without a byte-order mark, or not text; save it as UTF-8', { origin })] };
  }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes), diagnostics: [] };
  } catch {
    const at = firstInvalidUtf8(bytes);
    return { diagnostics: [diagnostic('MAST1012', `file is not UTF-8 (invalid byte 0x${bytes[at]?.toString(16)} at offset ${at}); save it as UTF-8`, { origin })] };
  }
}

function firstInvalidUtf8(bytes: Uint8Array): number {
  let lo = 0;
  let hi = bytes.length;
  const valid = (end: number): boolean => {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, end), { stream: true });
      return true;
    } catch {
      return false;
    }
  };
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (valid(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
