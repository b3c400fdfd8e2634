import assert from 'node:assert/strict';
import { test } from 'node:test';
import { re2Problem } from '../../src/model/validate/regex';

test('valid RE2, including syntax JavaScript lacks, is accepted', () => {
  const valid = [
    '^/api/v[0-9]+/.*',
    '(?i)^/Reviews',
    '(?i:ab)c',
    '(?P<version>v\\d+)',
    '(?<version>v\\d+)',
    'end\\z',
    '\\Abegin',
    '[[:alpha:]]+[^[:space:]]',
    'a\\-b\\#c',
    'x{2,3}',
    'a{,3}',
    '\\pL\\p{Greek}',
    '\\Q.*+?\\E',
    '\\x{41}\\x41',
    '[]a]',
    '\\101',
  ];
  for (const pattern of valid) assert.equal(re2Problem(pattern), undefined, pattern);
});

test('what RE2 refuses is refused, JavaScript-only constructs included', () => {
  const invalid: [string, RegExp][] = [
    ['foo(?=bar)', /lookahead/],
    ['foo(?!bar)', /lookahead/],
    ['(?<=a)b', /lookbehind/],
    ['(?<!a)b', /lookbehind/],
    ['(a)\\1', /backreference/],
    ['(?<n>a)\\k<n>', /backreference/],
    ['(?P<n>a)(?P=n)', /backreference/],
    ['\\u0041', /\\u/],
    ['a{1001}', /1000/],
    ['[a-', /./],
    ['(', /./],
    ['*a', /./],
    ['[[:alfa:]]', /alfa/],
    ['\\p{NotAClass}', /NotAClass/],
  ];
  for (const [pattern, why] of invalid) assert.match(re2Problem(pattern) ?? 'accepted', why, pattern);
});

test('nested counted repetitions whose product passes 1000 are refused, as Go (Istio) and RE2 refuse them', () => {
  assert.match(re2Problem('(a{100}){11}') ?? '', /invalid repetition size: \{11\}/);
  assert.match(re2Problem('^/x(?:(?:b{10}){10}){11}$') ?? '', /invalid repetition size/);
  assert.equal(re2Problem('(a{100}){10}'), undefined);
  assert.equal(re2Problem('(a*){1000}'), undefined, 'a star is no counted repetition');
});
