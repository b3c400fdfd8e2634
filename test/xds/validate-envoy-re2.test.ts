// RE2 program sizes, which Envoy prints when a regex passes re2.max_program_size.error_level,
// measured against the upper bound of src/model/validate/re2-size.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { re2Problem } from '../../src/model/validate/regex';
import { re2ProgramSize } from '../../src/model/validate/re2-size';
import { envoyValidate, skipWithoutEnvoy as skip } from '../support/envoy-validate';
import { bootstrap } from '../support/validate-envoy-fixtures';

const SEED = 20261130;

test('RE2 program sizes never exceed the bound of re2-size.ts', { skip, timeout: 120_000 }, async (t) => {
  const patterns = [
    ...['a', '.', '.*', '[^a]', '\\pL', '\\p{Greek}', '(?i)[a-z]+', '^/api/v[0-9]+/.*$', '(?:a*b*)*', '(a{100}){10}', '[\\p{L}\\d_-]{1,20}', '(?i)straße', 'x\\by', '(?s).{3,7}?'],
    ...fc.sample(fc.string({ unit: fc.constantFrom('a', 'b', 'é', 'ß', 'k', '(', ')', '*', '+', '?', '{2}', '{1,3}', '|', '.', '[a-z]', '[^/]', '\\d', '\\w', '\\pN', '^', '$', '(?:', '(?i)'), minLength: 1, maxLength: 12 }), { seed: SEED, numRuns: 500 }),
  ].filter((p) => re2Problem(p) === undefined && 'size' in re2ProgramSize(p));
  const results = await Promise.all(patterns.map(async (regex) => {
    const route = { name: 'r', virtual_hosts: [{ name: 'v', domains: ['*'], routes: [{ match: { safe_regex: { regex } }, direct_response: { status: 200 } }] }] };
    // With a limit of 0 Envoy refuses every regex, saying its program size.
    const { output } = await envoyValidate(bootstrap([{ label: regex, kind: 'route', json: route }], 0));
    const actual = /RE2 program size of (\d+)/.exec(output)?.[1];
    return { regex, actual: actual === undefined ? undefined : Number(actual), bound: (re2ProgramSize(regex) as { size: number }).size, output };
  }));
  const measured = results.filter((r) => r.actual !== undefined);
  const ratios = measured.map((r) => r.bound / (r.actual as number));
  for (const r of results.filter((x) => x.actual === undefined)) t.diagnostic(`no size for ${JSON.stringify(r.regex)}: ${r.output.slice(-200)}`);
  t.diagnostic(`${measured.length} regexes measured (${results.length - measured.length} without a size); bound/actual ratio min ${Math.min(...ratios).toFixed(2)}, median ${ratios.sort((a, b) => a - b)[Math.floor(ratios.length / 2)]?.toFixed(2)}, max ${Math.max(...ratios).toFixed(2)}`);
  const atDefault = measured.filter((r) => (r.actual as number) <= 100);
  t.diagnostic(`at Envoy's default limit of 100: ${atDefault.filter((r) => r.bound > 100).length} of ${atDefault.length} regexes within it would be refused by the bound`);
  assert.ok(measured.length > patterns.length / 2, 'most patterns measured');
  for (const r of measured) assert.ok(r.bound >= (r.actual as number), `${r.regex}: bound ${r.bound} < RE2's ${r.actual}`);
});

