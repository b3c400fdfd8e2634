// What is not a regular file never stalls or floods the config dir watcher: a named pipe would
// block every later read, /dev/zero never end; a directory with a config file's name is walked.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ConfigStore, type Logger } from '../../src/model';
import { watchConfigDir, type ConfigDirWatch } from '../../src/sources/files';
import { readConfigFile } from '../../src/sources/files/config-files';
import { service, yamlOf } from '../model/fixtures';

const quiet: Logger = { info() {}, warn() {}, error() {} };

async function until(what: string, condition: () => boolean, withinMs = 2000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`not within ${withinMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test('a named pipe and a link to /dev/zero are MAST1009 findings, read in no time', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mast-special-'));
  try {
    execFileSync('mkfifo', [path.join(dir, 'fifo.yaml')]);
    symlinkSync('/dev/zero', path.join(dir, 'zero.yaml'));
    const started = performance.now();
    const fifo = await readConfigFile(path.join(dir, 'fifo.yaml'));
    const zero = await readConfigFile(path.join(dir, 'zero.yaml'));
    assert.ok(performance.now() - started < 1000);
    assert.deepEqual(fifo?.diagnostics.map((d) => [d.code, d.message]), [['MAST1009', `${path.join(dir, 'fifo.yaml')} is a named pipe, not a regular file, and is not read`]]);
    assert.match(zero?.diagnostics[0]?.message ?? '', /is a device, not a regular file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('the watcher and special files', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mast-special-watch-'));
  const store = new ConfigStore();
  let watch: ConfigDirWatch;
  const names = () => store.snapshot().services().map((s) => s.meta.name).sort();

  before(async () => {
    writeFileSync(path.join(dir, 'a.yaml'), yamlOf(service('a')));
    execFileSync('mkfifo', [path.join(dir, 'early.yaml')]);
    watch = watchConfigDir(dir, store, quiet, { debounceMs: 20 });
    await watch.ready;
  });

  test('a pipe there at start-up does not hold up loading, and is reported', () => {
    assert.deepEqual(names(), ['a']);
    assert.ok(store.diagnostics().some((d) => d.code === 'MAST1009' && d.origin?.file?.endsWith('early.yaml')));
  });
  after(() => {
    watch.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a pipe appearing at run time is reported, and later edits still apply', async () => {
    execFileSync('mkfifo', [path.join(dir, 'pipe.yaml')]);
    await until('the pipe reported', () => store.diagnostics().some((d) => d.code === 'MAST1009' && d.origin?.file?.endsWith('pipe.yaml')));
    writeFileSync(path.join(dir, 'b.yaml'), yamlOf(service('b')));
    await until('b applied after the pipe', () => names().includes('b'));
  });

  test('a directory named like a config file is walked, not read', async () => {
    mkdirSync(path.join(dir, 'sub.yaml'));
    writeFileSync(path.join(dir, 'sub.yaml', 'c.yaml'), yamlOf(service('c')));
    await until('c inside sub.yaml/ applied', () => names().includes('c'));
    assert.ok(!store.diagnostics().some((d) => d.origin?.file?.endsWith('sub.yaml')), 'no finding about the directory');
  });
});
