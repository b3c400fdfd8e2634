// docs/istio-support.md against what it describes (tools/istio-support.ts): one row per field of
// Istio's CRD schemas at the pinned revision, as src/model/supported.ts classes it, and for each
// supported field a "proved by" cell citing tests that exist.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { allRows, citedPaths, DOC, istioCrds, parseDoc, ROOT } from '../../tools/istio-support';

const rows = allRows(istioCrds());
const doc = parseDoc(readFileSync(DOC, 'utf8'));

test('every field of SUPPORTED_FIELDS, and every field of Istio\'s schema not yet supported, has its row, with that status', () => {
  const missing = rows.filter((r) => doc.get(`${r.kind} ${r.field}`)?.supported !== r.supported).map((r) => `${r.kind} ${r.field} (${r.supported ? 'supported' : 'not yet'})`);
  assert.deepEqual(missing, [], 'rows missing or with the wrong status: run node --import tsx tools/istio-support.ts');
  const expected = new Set(rows.map((r) => `${r.kind} ${r.field}`));
  assert.deepEqual([...doc.keys()].filter((k) => !expected.has(k)), [], 'rows for fields that are no longer classed so: regenerate the doc');
});

test('each supported field cites at least one test, and each cited test exists', () => {
  const unproved: string[] = [];
  const dangling: string[] = [];
  for (const r of rows.filter((row) => row.supported)) {
    const cited = citedPaths(doc.get(`${r.kind} ${r.field}`)?.proof ?? '');
    if (cited.length === 0) unproved.push(`${r.kind} ${r.field}`);
    for (const p of cited) if (!existsSync(path.join(ROOT, p))) dangling.push(`${r.kind} ${r.field}: ${p}`);
  }
  assert.deepEqual(unproved, [], 'supported fields without a test in docs/istio-support.md');
  assert.deepEqual(dangling, [], 'cited tests that do not exist');
});

test('the doc is classed from the real schema: it names fields Istio has and Mast does not support yet', () => {
  // Guards the walk itself: a schema read wrongly would give no "not yet" rows and pass the above.
  assert.ok(rows.some((r) => r.kind === 'VirtualService' && r.field === 'spec.http[].redirect.derivePort' && !r.supported));
  assert.ok(rows.some((r) => r.kind === 'DestinationRule' && r.field === 'spec.subsets[].labels' && r.supported));
});
