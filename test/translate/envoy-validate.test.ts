// Real Envoy is the judge of what translation emits: each golden case's resources go into a
// static bootstrap (test/support/static-bootstrap.ts: EDS clusters made STATIC with their
// endpoints inline, RDS replaced by the route table inline) and `envoy --mode validate` must
// accept it. This catches unknown fields, failed proto constraints and semantic rejections that
// JSON comparisons cannot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goldenCases, snapshotOf } from '../golden/cases';
import { translate } from '../../src/translate';
import { envoyValidate, skipWithoutEnvoy } from '../support/envoy-validate';
import { staticBootstrap } from '../support/static-bootstrap';
import { validationSecrets } from '../support/validation-secrets';

for (const c of goldenCases()) {
  test(`envoy --mode validate accepts ${c.name}`, { skip: skipWithoutEnvoy }, async () => {
    const verdict = await envoyValidate(staticBootstrap(translate(snapshotOf(c.input, c.inputFile).snapshot, c.proxy), c.proxy, await validationSecrets()));
    assert.ok(verdict.ok, `envoy rejected ${c.name}:\n${verdict.output}`);
  });
}
