// Checks of values whose type the schema accepts (a string) but whose content it does not read.
import { parseDuration } from '../duration';
import type { FieldReader } from '../parse/read';
import { re2Problem } from './regex';
import { fieldsAt } from './select';

export function checkDurations(root: unknown, patterns: readonly string[], read: FieldReader): void {
  for (const pattern of patterns) {
    for (const { value, field } of fieldsAt(root, pattern)) {
      if (typeof value === 'string' && parseDuration(value) === undefined) {
        read.report('MAST2006', field, `${JSON.stringify(value)} is not a duration (write e.g. 1.5s, 300ms, 2m, 1h)`);
      }
    }
  }
}

export function checkRegexes(root: unknown, patterns: readonly string[], read: FieldReader): void {
  for (const pattern of patterns) {
    for (const { value, field } of fieldsAt(root, pattern)) {
      const problem = typeof value === 'string' ? re2Problem(value) : undefined;
      if (problem) read.report('MAST2004', field, `regex ${JSON.stringify(value)} is not valid RE2: ${problem}`);
    }
  }
}
