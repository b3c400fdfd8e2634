// docs/istio-support.md: every field of every Istio kind Mast reads, supported or not yet, and the
// tests that prove each supported one. The field list comes from Istio's own CRD schemas in the
// pinned module (manifests/charts/base/files/crd-all.gen.yaml) and from src/model/supported.ts;
// the "proved by" cells are written by hand and kept across regenerations.
//
//   node --import tsx tools/istio-support.ts          rewrites docs/istio-support.md
//   test/model/istio-support.test.ts                  fails when the doc is out of date
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { SUPPORTED_FIELDS } from '../src/model/supported';
import type { TranslatedIstioKind } from '../src/model/parse/istio-schema';
import { istioModuleDir } from '../test/conformance/corpus';

export const ROOT = path.resolve(__dirname, '..');
export const DOC = path.join(ROOT, 'docs', 'istio-support.md');
const CRDS = 'manifests/charts/base/files/crd-all.gen.yaml';

export interface Row {
  kind: TranslatedIstioKind;
  /** As SUPPORTED_FIELDS writes it: `spec.http[].match[].uri`. */
  field: string;
  supported: boolean;
}

interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
}

/** Every field path under `spec` of `schema`, with `[]` for list items, parents before children. */
function fieldPaths(schema: Schema, at: string): string[] {
  const object = schema.type === 'array' ? schema.items : schema;
  const suffix = schema.type === 'array' ? '[]' : '';
  return Object.entries(object?.properties ?? {}).flatMap(([name, child]) => {
    const field = `${at}${suffix}.${name}`;
    return [field, ...fieldPaths(child, field)];
  });
}

/** The spec schema of `kind` at its storage version (v1 for every kind Mast translates). */
function specSchema(crds: string, kind: string): Schema {
  for (const doc of parseAllDocuments(crds)) {
    const crd = doc.toJSON() as { spec?: { names?: { kind?: string }; versions?: { storage?: boolean; schema?: { openAPIV3Schema?: Schema } }[] } } | null;
    if (crd?.spec?.names?.kind !== kind) continue;
    const version = crd.spec.versions?.find((v) => v.storage);
    const spec = version?.schema?.openAPIV3Schema?.properties?.spec;
    if (spec) return spec;
  }
  throw new Error(`no CRD schema for ${kind} in ${CRDS}`);
}

const within = (field: string, parent: string): boolean => field === parent || field.startsWith(`${parent}.`) || field.startsWith(`${parent}[]`);

/**
 * The rows for `kind`: each supported field (a supported field covers its children), and each
 * field whose subtree has no supported field, as high up as it goes (its children are not listed).
 */
export function kindRows(crds: string, kind: TranslatedIstioKind): Row[] {
  const supported = SUPPORTED_FIELDS[kind];
  const rows: Row[] = [];
  let skipUnder: string | undefined;
  for (const field of fieldPaths(specSchema(crds, kind), 'spec')) {
    if (skipUnder && within(field, skipUnder)) continue;
    if (supported.includes(field)) {
      rows.push({ kind, field, supported: true });
      skipUnder = field;
    } else if (!supported.some((s) => within(s, field))) {
      rows.push({ kind, field, supported: false });
      skipUnder = field;
    }
  }
  // A supported field the schema does not have would be a typo that silences nothing.
  for (const field of supported) if (!rows.some((r) => r.field === field)) throw new Error(`${kind}: ${field} is in SUPPORTED_FIELDS but not a field of Istio's schema`);
  return rows;
}

export function allRows(crds: string): Row[] {
  return (Object.keys(SUPPORTED_FIELDS) as TranslatedIstioKind[]).flatMap((kind) => kindRows(crds, kind));
}

export function istioCrds(): string {
  return readFileSync(path.join(istioModuleDir(), CRDS), 'utf8');
}

const ROW = /^\| `([^`]+)` \| (supported|not yet) \| (.*) \|$/;

/** The "proved by" cell of each field in an existing doc, by `Kind spec.field`. */
export function parseDoc(text: string): Map<string, { supported: boolean; proof: string }> {
  const cells = new Map<string, { supported: boolean; proof: string }>();
  let kind = '';
  for (const line of text.split('\n')) {
    const heading = /^## (\w+)$/.exec(line);
    if (heading) kind = heading[1]!;
    const row = ROW.exec(line);
    if (row) cells.set(`${kind} ${row[1]}`, { supported: row[2] === 'supported', proof: row[3]!.trim() });
  }
  return cells;
}

/** The paths (files or golden folders) a proof cell cites, in backticks. */
export function citedPaths(proof: string): string[] {
  return [...proof.matchAll(/`([^`]+)`/g)].map((m) => m[1]!).filter((p) => /^(test|e2e|bench)\//.test(p));
}

const HEADER = `# Istio API support

Each field of each Istio kind Mast reads, as Istio's CRD schemas at the pinned revision list them
(\`tools/istio/revision\`), and whether Mast translates it. A supported field covers the fields
under it; a "not yet" field is listed once, as high up as nothing under it is supported. A field
that is not yet supported is never silently ignored: Mast reports it (MAST1008) in the log, the
object's status, \`/debug/diagnostics\` and \`mast analyze\`. Istio kinds not listed here (e.g.
WasmPlugin, ProxyConfig) are not read yet: a file holding one draws MAST1003.

"Proved by" names the tests that show the field working: golden translation cases
(\`test/golden/<case>\`), unit tests, and end-to-end scenarios through real Envoy
(\`e2e/scenarios/*.test.ts\`, run in file and Kubernetes modes).

Regenerate the rows with \`node --import tsx tools/istio-support.ts\` (the "proved by" cells are
kept); \`test/model/istio-support.test.ts\` fails when a row is missing, stale, or a supported
field cites no test that exists.
`;

export function renderDoc(rows: Row[], previous: Map<string, { supported: boolean; proof: string }>): string {
  const out = [HEADER];
  let kind = '';
  for (const row of rows) {
    if (row.kind !== kind) {
      kind = row.kind;
      out.push(`\n## ${kind}\n\n| field | status | proved by |\n|---|---|---|`);
    }
    const old = previous.get(`${kind} ${row.field}`);
    const proof = old && old.supported === row.supported ? old.proof : '';
    out.push(`| \`${row.field}\` | ${row.supported ? 'supported' : 'not yet'} | ${proof} |`);
  }
  return `${out.join('\n')}\n`;
}

if (require.main === module) {
  const previous = existsSync(DOC) ? parseDoc(readFileSync(DOC, 'utf8')) : new Map();
  writeFileSync(DOC, renderDoc(allRows(istioCrds()), previous));
  console.log(`wrote ${path.relative(ROOT, DOC)}`);
}
