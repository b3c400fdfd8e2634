import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigStore, parseDocuments, type Logger } from '../../src/model';
import { LOGGED_PER_GROUP } from '../../src/model/findings-log';

function recordingLog(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const push = (_obj: object, msg: string) => lines.push(msg);
  return { log: { info: push, warn: push, error: push }, lines };
}

test('10,000 unknown documents in one file: a few log lines, every finding in diagnostics()', () => {
  const { log, lines } = recordingLog();
  const store = new ConfigStore({ log });
  const text = Array.from({ length: 10_000 }, (_, i) => `apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w${i}}\n`).join('---\n');
  const { objects, diagnostics } = parseDocuments(text, 'widgets.yaml');
  store.replaceSource('widgets.yaml', objects, diagnostics);
  assert.equal(store.diagnostics().length, 10_000);
  assert.equal(lines.length, LOGGED_PER_GROUP + 1, lines.join('\n'));
  assert.match(lines.at(-1) ?? '', /^widgets\.yaml: 9997 more MAST1003 findings like the above/);

  // Already told: rewriting the file with one more logs only what is new.
  const more = parseDocuments(`${text}---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: extra}\n`, 'widgets.yaml');
  store.replaceSource('widgets.yaml', more.objects, more.diagnostics);
  store.snapshot();
  assert.equal(lines.length, LOGGED_PER_GROUP + 2);
  assert.match(lines.at(-1) ?? '', /Widget\/default\/extra/);
});

test('findings of different files or codes are grouped apart', () => {
  const { log, lines } = recordingLog();
  const store = new ConfigStore({ log });
  for (const file of ['a.yaml', 'b.yaml']) {
    const { objects, diagnostics } = parseDocuments('kind: Widget\napiVersion: x/v1\nmetadata: {name: w}\n---\n[not, a, mapping]\n', file);
    store.replaceSource(file, objects, diagnostics);
  }
  store.snapshot();
  assert.deepEqual(lines.map((l) => /MAST\d+/.exec(l)?.[0]).sort(), ['MAST1002', 'MAST1002', 'MAST1003', 'MAST1003']);
});
