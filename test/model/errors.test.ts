import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DIAGNOSTIC_CODES, diagnostic, formatDiagnostic } from '../../src/model';

test('formatDiagnostic puts file, object and field before the code, on one line', () => {
  const d = diagnostic('MAST2001', 'route weights add up to 90, not 100', {
    origin: { file: 'examples/reviews.yaml', doc: 2 },
    object: { kind: 'VirtualService', namespace: 'default', name: 'reviews' },
    field: 'spec.http[0].route',
  });
  assert.equal(
    formatDiagnostic(d),
    'examples/reviews.yaml#2 VirtualService/default/reviews spec.http[0].route: MAST2001 route weights add up to 90, not 100',
  );
  assert.equal(d.severity, 'error');
});

test('formatDiagnostic leaves out what is unknown and shows a line when there is one', () => {
  const d = diagnostic('MAST1001', 'bad indentation', { origin: { file: 'a.yaml', doc: 3, line: 14 } });
  assert.equal(formatDiagnostic(d), 'a.yaml:14#3: MAST1001 bad indentation');
  assert.equal(formatDiagnostic(diagnostic('MAST1009', 'cannot read')), 'MAST1009 cannot read');
});

test('codes are grouped by their first digit: 1 reading, 2 meaning, 3 references, 4 what Envoy would reject', () => {
  for (const code of Object.keys(DIAGNOSTIC_CODES)) assert.match(code, /^MAST[1234]\d{3}$/);
  assert.equal(diagnostic('MAST1008', 'x').severity, 'warning');
});
