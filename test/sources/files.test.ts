import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ConfigStore, formatDiagnostic, refKey, type Logger } from '../../src/model';
import { loadConfigDir, watchConfigDir, type ConfigDirWatch } from '../../src/sources/files';
import { readConfigFile } from '../../src/sources/files/config-files';
import { BAD_INPUTS, reviews, service, yamlOf } from '../model/fixtures';

const quiet: Logger = { info() {}, warn() {}, error() {} };

function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'mast-files-'));
}

async function until(what: string, condition: () => boolean, withinMs = 1000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`not within ${withinMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function serviceNames(store: ConfigStore): string[] {
  return store.snapshot().services().map((s) => s.meta.name);
}

describe('loadConfigDir', () => {
  const dir = tempDir();
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('reads *.yaml, *.yml and *.json recursively; skips other and hidden files', async () => {
    mkdirSync(path.join(dir, 'sub', 'deeper'), { recursive: true });
    mkdirSync(path.join(dir, '..data'));
    writeFileSync(path.join(dir, 'a.yaml'), yamlOf(service('a')));
    writeFileSync(path.join(dir, 'sub', 'b.yml'), yamlOf(service('b')));
    writeFileSync(path.join(dir, 'sub', 'deeper', 'c.json'), JSON.stringify(service('c')));
    writeFileSync(path.join(dir, 'notes.txt'), yamlOf(service('txt')));
    writeFileSync(path.join(dir, '.a.yaml.swp'), yamlOf(service('swap')));
    writeFileSync(path.join(dir, '..data', 'a.yaml'), yamlOf(service('twin')));
    const store = await loadConfigDir(dir);
    assert.deepEqual(serviceNames(store), ['a', 'b', 'c']);
    assert.deepEqual(store.diagnostics(), []);
  });
});

describe('a directory with every kind of bad input', () => {
  const dir = tempDir();
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('gives exactly one finding per bad file, and everything else applies', async () => {
    writeFileSync(path.join(dir, 'reviews.yaml'), yamlOf(...reviews()));
    BAD_INPUTS.forEach((bad, i) => writeFileSync(path.join(dir, `bad-${i}.yaml`), bad.text));
    const store = await loadConfigDir(dir);
    const found = store.diagnostics();
    assert.deepEqual(
      found.map((d) => [path.basename(d.origin?.file ?? ''), d.code, d.object && refKey(d.object), d.field]),
      BAD_INPUTS.map((bad, i) => [`bad-${i}.yaml`, bad.expect.code, bad.expect.ref, bad.expect.field]),
      found.map(formatDiagnostic).join('\n'),
    );
    const snapshot = store.snapshot();
    assert.deepEqual(
      snapshot.virtualServices().map((vs) => vs.meta.name),
      ['reviews'],
    );
    assert.equal(snapshot.destinationRules().length, 1);
  });
});

test('an unreadable file is a finding, not an exception', async () => {
  const dir = tempDir();
  try {
    const parsed = await readConfigFile(dir); // a directory cannot be read as a file
    assert.deepEqual(
      parsed?.diagnostics.map((d) => [d.code, d.origin?.file]),
      [['MAST1009', dir]],
    );
    assert.equal(await readConfigFile(path.join(dir, 'gone.yaml')), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('watchConfigDir', () => {
  const dir = tempDir();
  const store = new ConfigStore();
  const file = (name: string) => path.join(dir, name);
  let watch: ConfigDirWatch;

  before(async () => {
    writeFileSync(file('a.yaml'), yamlOf(service('a')));
    watch = watchConfigDir(dir, store, quiet, { debounceMs: 20 });
    await watch.ready;
  });
  after(() => {
    watch.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('loads the directory before ready', () => {
    assert.deepEqual(serviceNames(store), ['a']);
  });

  test('picks up an edit', async () => {
    writeFileSync(file('a.yaml'), yamlOf(service('a', 'default', [{ port: 81 }])));
    await until('port 81', () => store.snapshot().services()[0]?.ports[0]?.port === 81);
  });

  test('picks up a new file, also in a new subdirectory', async () => {
    writeFileSync(file('b.yaml'), yamlOf(service('b')));
    await until('b added', () => serviceNames(store).includes('b'));
    mkdirSync(file('sub'));
    writeFileSync(file('sub/c.yaml'), yamlOf(service('c')));
    await until('c added', () => serviceNames(store).includes('c'));
  });

  test('picks up a deletion', async () => {
    unlinkSync(file('b.yaml'));
    await until('b removed', () => !serviceNames(store).includes('b'));
  });

  test('follows a file an editor replaces by rename, and its later edits and deletion', async () => {
    writeFileSync(file('.a.yaml.tmp'), yamlOf(service('a', 'default', [{ port: 82 }])));
    renameSync(file('.a.yaml.tmp'), file('a.yaml'));
    await until('port 82', () => store.snapshot().services()[0]?.ports[0]?.port === 82);
    writeFileSync(file('a.yaml'), yamlOf(service('a', 'default', [{ port: 83 }])));
    await until('port 83', () => store.snapshot().services()[0]?.ports[0]?.port === 83);
    unlinkSync(file('a.yaml'));
    await until('a removed', () => !serviceNames(store).includes('a'));
  });

  test('a broken edit keeps the last good version and reports the error', async () => {
    writeFileSync(file('sub/c.yaml'), 'kind: Service\nmetadata: [broken\n');
    await until('finding', () => store.diagnostics().some((d) => d.code === 'MAST1001'));
    assert.deepEqual(serviceNames(store), ['c']);
  });

  test('a removed directory takes its files with it', async () => {
    rmSync(file('sub'), { recursive: true });
    await until('c removed', () => serviceNames(store).length === 0);
    assert.deepEqual(store.diagnostics(), []);
  });

  test('a rewrite with the same content does not move the generation', async () => {
    writeFileSync(file('d.yaml'), yamlOf(service('d')));
    await until('d added', () => serviceNames(store).includes('d'));
    const generation = store.generation;
    writeFileSync(file('d.yaml'), yamlOf(service('d')));
    writeFileSync(file('e.yaml'), yamlOf(service('e')));
    await until('e added', () => serviceNames(store).includes('e'));
    assert.equal(store.generation, generation + 1);
  });
});

test('watchConfigDir rejects ready for a directory that does not exist', async () => {
  const watch = watchConfigDir(path.join(tmpdir(), 'mast-no-such-dir-x'), new ConfigStore(), quiet);
  await assert.rejects(watch.ready, /ENOENT/);
  watch.close();
});
