// The Istio objects the differential test compares on, from where they live: the project's own
// tests, examples and golden cases (YAML files, and YAML literals in .ts files), the public
// reports in shared/cases beside the repository when present, and Istio's own samples and test
// data in the Go module cache at the pinned revision (read in place, never copied).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Raw } from './istioctl';

const ROOT = path.resolve(__dirname, '..', '..');
const KINDS = new Set(['VirtualService', 'DestinationRule', 'Gateway']);
const API_VERSIONS = new Set(['networking.istio.io/v1', 'networking.istio.io/v1beta1', 'networking.istio.io/v1alpha3']);

export interface Found {
  object: Raw;
  /** `file#doc`, relative to its tree. */
  from: string;
}

function isRecord(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The VirtualService, DestinationRule and Gateway documents of `text`; documents that are not YAML (templates) are skipped. */
function istioObjects(text: string, from: string): Found[] {
  let docs;
  try {
    docs = parseAllDocuments(text);
  } catch {
    return [];
  }
  const list = Array.isArray(docs) ? docs : [docs];
  return list.flatMap((doc, i) => {
    if (doc.errors.length) return [];
    const object = doc.toJS() as unknown;
    if (!isRecord(object) || !KINDS.has(object.kind as string) || !API_VERSIONS.has(object.apiVersion as string)) return [];
    return [{ object, from: `${from}#${i + 1}` }];
  });
}

function walk(dir: string, keep: (file: string) => boolean): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (name === 'node_modules' || name.startsWith('.')) return [];
    return statSync(full).isDirectory() ? walk(full, keep) : keep(full) ? [full] : [];
  });
}

const isYaml = (f: string): boolean => /\.ya?ml$/.test(f);

/** Template literals with no interpolation that hold an Istio object. */
function literalsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/`((?:[^`\\$]|\\.|\$(?!\{))*)`/g)].map((m) => m[1] as string).filter((l) => /kind:\s*(VirtualService|DestinationRule|Gateway)\b/.test(l));
}

/** The project's own objects: YAML under test/, e2e/, examples/, YAML literals in their .ts files, and ../shared/cases when present. */
export function projectObjects(): Found[] {
  const rel = (f: string): string => path.relative(ROOT, f);
  const trees = ['test', 'e2e', 'examples'].map((d) => path.join(ROOT, d));
  const shared = path.join(ROOT, '..', 'shared', 'cases');
  const yamlFiles = [...trees, shared].flatMap((d) => walk(d, isYaml)).sort();
  const tsFiles = trees.flatMap((d) => walk(d, (f) => f.endsWith('.ts'))).sort();
  return [
    ...yamlFiles.flatMap((f) => istioObjects(readFileSync(f, 'utf8'), rel(f))),
    ...tsFiles.flatMap((f) => literalsOf(f).flatMap((l, i) => istioObjects(l, `${rel(f)}:literal${i + 1}`))),
  ];
}

/** The pinned Istio revision (tools/istio/revision), shared with the istioctl build. */
export function istioRevision(): string {
  return readFileSync(path.join(ROOT, 'tools/istio/revision'), 'utf8').trim();
}

/** Where the Go module cache holds istio.io/istio at the pinned revision (downloaded from the module proxy if missing). */
export function istioModuleDir(): string {
  const info = JSON.parse(execFileSync('go', ['mod', 'download', '-json', `istio.io/istio@${istioRevision()}`], { cwd: '/', encoding: 'utf8' })) as { Dir?: string };
  if (!info.Dir || !existsSync(info.Dir)) throw new Error(`istio.io/istio@${istioRevision()} is not in the module cache`);
  return info.Dir;
}

/** Istio's samples and the test data of its config, networking and validation code. */
const ISTIO_TREES = ['samples', 'pilot/pkg/config', 'pilot/pkg/xds', 'pilot/pkg/networking', 'pkg/config/validation', 'pkg/config/analysis', 'tests/testdata'];

export function istioModuleObjects(moduleDir: string): Found[] {
  return ISTIO_TREES.flatMap((t) => walk(path.join(moduleDir, t), isYaml))
    .sort()
    .flatMap((f) => istioObjects(readFileSync(f, 'utf8'), path.relative(moduleDir, f)));
}
