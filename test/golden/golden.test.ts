// Golden files for translation, as in Envoy Gateway's testdata: each case directory holds the
// mesh objects (input.yaml) and the proxy (proxy.yaml); expected/<type>.json is what Envoy gets,
// expected/sources.json the objects each resource was made from.
// `make golden` (MAST_UPDATE_GOLDEN=1) rewrites the expected files; review the diff by eye.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXTENSION_CONFIGS_FILE, goldenCases, renderResources, renderSources, RESOURCE_FILES, snapshotOf } from './cases';
import { translate } from '../../src/translate';

const update = process.env.MAST_UPDATE_GOLDEN === '1';

for (const c of goldenCases()) {
  test(`golden: ${c.name}`, () => {
    const { snapshot, errors } = snapshotOf(c.input, c.inputFile);
    assert.deepEqual(errors, [], 'input.yaml must be valid and use only supported fields');
    const set = translate(snapshot, c.proxy);
    const rendered: Record<string, string> = { ...renderResources(set), sources: renderSources(set) };
    const expectedDir = join(c.dir, 'expected');
    if (update) mkdirSync(expectedDir, { recursive: true });
    const ecds = rendered[EXTENSION_CONFIGS_FILE] !== undefined || existsSync(join(expectedDir, `${EXTENSION_CONFIGS_FILE}.json`));
    for (const file of [...RESOURCE_FILES, ...(ecds ? [EXTENSION_CONFIGS_FILE] : []), 'sources']) {
      const path = join(expectedDir, `${file}.json`);
      if (update && rendered[file] === undefined) rmSync(path);
      else if (update) writeFileSync(path, rendered[file]!);
      if (update && rendered[file] === undefined) continue;
      assert.ok(existsSync(path), `${path} is missing; run \`make golden\``);
      assert.equal(rendered[file], readFileSync(path, 'utf8'), `${c.name}/expected/${file}.json differs; run \`make golden\` and review the diff`);
    }
  });

  test(`golden: ${c.name} does not depend on input order`, () => {
    const reversed = c.input.split(/^---$/m).reverse().join('\n---\n');
    const a = renderResources(translate(snapshotOf(c.input, c.inputFile).snapshot, c.proxy));
    const b = renderResources(translate(snapshotOf(reversed, c.inputFile).snapshot, c.proxy));
    assert.deepEqual(b, a);
  });
}
