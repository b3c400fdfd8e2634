import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeConfigText, DOCUMENT_LIMITS, parseDocuments } from '../../src/model';

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

// Hostile and odd files: each costs bounded time and memory and ends as a finding naming the file.
test('a VirtualService reusing one anchored retry policy in 120 routes loads, aliases expanded', () => {
  const routes = Array.from({ length: 120 }, (_, i) => `  - {match: [{uri: {prefix: /r${i}}}], retries: *retry, route: [{destination: {host: a}}]}`);
  const text = ['kind: VirtualService', 'retry: &retry {attempts: 3, perTryTimeout: 2s}', 'http:', ...routes].join('\n');
  const { objects, diagnostics } = parseDocuments(text, 'vs.yaml');
  assert.deepEqual(diagnostics, []);
  const http = (objects[0]?.raw as { http: { retries: unknown }[] }).http;
  assert.equal(http.length, 120);
  assert.deepEqual(http[119]?.retries, { attempts: 3, perTryTimeout: '2s' });
});

test('an alias bomb is refused as MAST1013 in bounded time, and the next document still loads', () => {
  let bomb = 'kind: VirtualService\nmetadata: {name: laughs, namespace: ns}\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n';
  for (let i = 1; i < 12; i++) bomb += `a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]\n`;
  const started = performance.now();
  const { objects, diagnostics } = parseDocuments(`${bomb}---\nkind: B\n`, 'bomb.yaml');
  assert.ok(performance.now() - started < 2000, `took ${performance.now() - started} ms`);
  assert.deepEqual(diagnostics.map((d) => [d.code, d.origin]), [['MAST1013', { file: 'bomb.yaml', doc: 1 }]]);
  assert.match(diagnostics[0]?.message ?? '', /expand \(aliases included\) to more than 1000000 nodes/);
  assert.deepEqual(diagnostics[0]?.object, { kind: 'VirtualService', namespace: 'ns', name: 'laughs' }, 'the document says what it is: the finding names it');
  assert.deepEqual(objects.map((o) => o.raw), [{ kind: 'B' }]);
});

test('deep nesting is refused as MAST1013 while parsing, even 4 MB of it', () => {
  const started = performance.now();
  const { diagnostics } = parseDocuments('['.repeat(4_000_000 - 1), 'deep.yaml');
  assert.ok(performance.now() - started < 2000, `took ${performance.now() - started} ms`);
  assert.deepEqual(diagnostics.map((d) => d.code), ['MAST1013']);
  assert.match(diagnostics[0]?.message ?? '', /nested more than 100 levels/);
});

test('a recursive alias is refused, not walked forever', () => {
  const { diagnostics } = parseDocuments('a: &x\n  b: *x\n', 'loop.yaml');
  assert.equal(diagnostics.length, 1);
  assert.match(`${diagnostics[0]?.code} ${diagnostics[0]?.message}`, /^MAST10(01|13) /);
});

test('text over the size limit is one MAST1013 finding, not parsed', () => {
  const { objects, diagnostics } = parseDocuments(`a: "${'x'.repeat(DOCUMENT_LIMITS.maxFileBytes)}"`, 'big.yaml');
  assert.deepEqual(objects, []);
  assert.deepEqual(diagnostics.map((d) => d.code), ['MAST1013']);
  assert.match(diagnostics[0]?.message ?? '', /4\.0 MiB/);
});

test('a document marker line keeps its own content; --- inside a block scalar ends the document, as YAML says', () => {
  const { objects, diagnostics } = parseDocuments('--- {kind: A}\n--- \nkind: B\nnote: |\n  text\n---\nkind: C\n...\n', 'm.yaml');
  assert.deepEqual(diagnostics, []);
  assert.deepEqual(objects.map((o) => [o.raw, o.origin.doc]), [[{ kind: 'A' }, 1], [{ kind: 'B', note: 'text\n' }, 2], [{ kind: 'C' }, 3]]);
});

test('YAML 1.2 core scalars (yes/on and dates stay strings) and merge keys, which kubectl resolves too', () => {
  const { objects } = parseDocuments('a: yes\nb: on\nc: 2024-01-01\nd: 012\ne: ~\nbase: &b {x: 1}\nf: {<<: *b, y: 2}\n', 'c.yaml');
  assert.deepEqual(objects[0]?.raw, { a: 'yes', b: 'on', c: '2024-01-01', d: 12, e: null, base: { x: 1 }, f: { x: 1, y: 2 } });
});

test('UTF-16 with a byte-order mark is read, with a MAST1014 warning; without one it is MAST1012, not "expected a mapping"', () => {
  const yaml = 'apiVersion: v1\nkind: Service\nmetadata: {name: a}\n';
  const le = decodeConfigText(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(yaml, 'utf16le')]), 'w.yaml');
  assert.equal(le.text, yaml);
  assert.deepEqual(le.diagnostics.map((d) => [d.code, d.severity]), [['MAST1014', 'warning']]);
  const be = Buffer.from(yaml, 'utf16le').swap16();
  assert.equal(decodeConfigText(Buffer.concat([Buffer.from([0xfe, 0xff]), be]), 'w.yaml').text, yaml);
  const bare = decodeConfigText(Buffer.from(yaml, 'utf16le'), 'w.yaml');
  assert.equal(bare.text, undefined);
  assert.deepEqual(bare.diagnostics.map((d) => [d.code, d.origin?.file]), [['MAST1012', 'w.yaml']]);
  assert.match(bare.diagnostics[0]?.message ?? '', /UTF-16 without a byte-order mark/);
});

test('bytes that are not UTF-8 are MAST1012 with the offset of the first bad byte', () => {
  const bad = decodeConfigText(Buffer.from([0x61, 0x3a, 0x20, 0xc3, 0x28]), 'l1.yaml');
  assert.deepEqual(bad.diagnostics.map((d) => d.code), ['MAST1012']);
  assert.match(bad.diagnostics[0]?.message ?? '', /invalid byte 0x28 at offset 4/);
  assert.equal(decodeConfigText(Buffer.from('\ufeffa: 1', 'utf8'), 'bom.yaml').text, 'a: 1');
});

test('a long alias chain is refused, not a crash: the walk keeps its own stack', () => {
  // Anchors chained 20,000 deep and used first under the key `0`, which JavaScript visits first.
  const lines = ['kind: VirtualService', 'metadata: {name: chain}', 'x:', '  k0: &a0 [1]'];
  for (let i = 1; i < 20_000; i++) lines.push(`  k${i}: &a${i} [*a${i - 1}]`);
  lines.push('  0: *a19999');
  const { diagnostics } = parseDocuments(lines.join('\n'), 'chain.yaml');
  assert.deepEqual(diagnostics.map((d) => [d.code, d.object?.name]), [['MAST1013', 'chain']]);
  assert.match(diagnostics[0]?.message ?? '', /more than 100 levels/);
});

test('documents share the file\'s expansion budget: many just under it do not add up', () => {
  // Each document expands to 9^6 (~531k) nodes: one is read, the second is over the file's budget.
  const doc = (n: number) => ['kind: VirtualService', `metadata: {name: b${n}}`, 'a: &a [x, x, x, x, x, x, x, x, x]', ...['b', 'c', 'd', 'e', 'f'].map((l, i) => `${l}: &${l} [${Array(9).fill(`*${'abcdef'[i]}`).join(', ')}]`)].join('\n');
  const started = performance.now();
  const { objects, diagnostics } = parseDocuments([doc(1), doc(2), doc(3)].join('\n---\n'), 'bombs.yaml');
  assert.ok(performance.now() - started < 2000, `took ${performance.now() - started} ms`);
  assert.equal(objects.length, 1);
  assert.deepEqual(diagnostics.map((d) => [d.code, d.object?.name]), [['MAST1013', 'b2'], ['MAST1013', 'b3']]);
});

test('a lone CR ends a line, as YAML reads it', () => {
  const { objects, diagnostics } = parseDocuments('kind: A\r---\rkind: B\rx: 1\r', 'cr.yaml');
  assert.deepEqual(diagnostics, []);
  assert.deepEqual(objects.map((o) => o.raw), [{ kind: 'A' }, { kind: 'B', x: 1 }]);
});

test('UTF-32 is named as such, not read as UTF-16', () => {
  const le = decodeConfigText(Buffer.from([0xff, 0xfe, 0, 0, 0x61, 0, 0, 0]), 'w.yaml');
  assert.equal(le.text, undefined);
  assert.match(le.diagnostics[0]?.message ?? '', /UTF-32LE/);
});
