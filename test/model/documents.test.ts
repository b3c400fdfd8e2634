import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDocuments } from '../../src/model';

test('a malformed document is one finding with file and line; the documents around it still load', () => {
  const text = ['kind: A', '---', 'kind: B', 'metadata:', '  name: [x', '---', 'kind: C', ''].join('\n');
  const { objects, diagnostics } = parseDocuments(text, 'dir/x.yaml');
  assert.deepEqual(
    objects.map((o) => o.raw),
    [{ kind: 'A' }, { kind: 'C' }],
  );
  assert.deepEqual(
    objects.map((o) => o.origin),
    [
      { file: 'dir/x.yaml', doc: 1 },
      { file: 'dir/x.yaml', doc: 3 },
    ],
  );
  assert.equal(diagnostics.length, 1);
  const [d] = diagnostics;
  assert.equal(d?.code, 'MAST1001');
  assert.equal(d?.origin?.file, 'dir/x.yaml');
  assert.equal(d?.origin?.doc, 2);
  assert.ok(d?.origin?.line !== undefined && d.origin.line >= 3 && d.origin.line <= 6, `line ${d?.origin?.line}`);
  assert.doesNotMatch(d?.message ?? '', /\n/);
});

test('kind: List stands for its items; empty documents are skipped', () => {
  const text = '---\n---\napiVersion: v1\nkind: List\nitems:\n- {kind: A}\n- {kind: B}\n---\n';
  const { objects, diagnostics } = parseDocuments(text, 'l.yaml');
  assert.deepEqual(diagnostics, []);
  assert.deepEqual(
    objects.map((o) => o.raw),
    [{ kind: 'A' }, { kind: 'B' }],
  );
});

test('JSON text parses like YAML', () => {
  const { objects } = parseDocuments('{"kind": "Service", "metadata": {"name": "a"}}', 'a.json');
  assert.deepEqual(objects[0]?.raw, { kind: 'Service', metadata: { name: 'a' } });
});
