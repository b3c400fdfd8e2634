// Checks of values whose type the schema accepts (a string, a number) but whose content it does
// not read: durations, regular expressions, percentages.
import type { FieldReader } from '../parse/read';
import { durationProblem, goDurationNanos, readGoDuration } from '../duration';
import { re2Problem } from './regex';
import { fieldsAt } from './select';

const MILLI = 1_000_000n;

/** Reports MAST2006 for each value at `patterns` that does not decode as a Duration at all (bad syntax, or out of Go's range). */
export function checkDurations(root: unknown, patterns: readonly string[], read: FieldReader): void {
  for (const pattern of patterns) {
    for (const { value, field } of fieldsAt(root, pattern)) {
      if (typeof value !== 'string') continue;
      const d = readGoDuration(value);
      if ('problem' in d) read.report('MAST2006', field, durationProblem(value, d.problem));
    }
  }
}

/**
 * Istio's agent.ValidateDuration, which its validation applies to timeouts, intervals and delays:
 * at least 1ms and a whole number of milliseconds. Reports MAST2006; a missing value passes.
 */
export function checkIstioDuration(read: FieldReader, value: unknown, field: string): void {
  if (typeof value !== 'string') return;
  const d = readGoDuration(value);
  if ('problem' in d) read.report('MAST2006', field, durationProblem(value, d.problem));
  else if (d.nanos < MILLI) read.report('MAST2006', field, `${value}: duration must be at least 1ms (Istio's ValidateDuration)`);
  else if (d.nanos % MILLI !== 0n) read.report('MAST2006', field, `${value}: only durations to ms precision are supported (Istio's ValidateDuration)`);
}

/** Whole milliseconds of a duration, truncated toward zero as Go's Duration.Milliseconds() does. */
export function durationMillis(value: string): bigint | undefined {
  const nanos = goDurationNanos(value);
  return nanos === undefined ? undefined : nanos / MILLI;
}

// Istio's validateStringRegexp: a longer regex may exceed Envoy's RE2 program size limit.
const MAX_REGEX_BYTES = 1024;

/** Why Istio's validateStringRegexp (Go's regexp, at most 1024 bytes) or Envoy's RE2 would refuse `pattern`. */
export function regexProblem(pattern: string): string | undefined {
  if (Buffer.byteLength(pattern, 'utf8') > MAX_REGEX_BYTES) return `regex is too large, max length allowed is ${MAX_REGEX_BYTES}`;
  return re2Problem(pattern);
}

/** Reports MAST2004 at `field` when `value` is a regex Istio or Envoy refuses. */
export function checkRegex(read: FieldReader, value: unknown, field: string): void {
  const problem = typeof value === 'string' ? regexProblem(value) : undefined;
  if (problem) read.report('MAST2004', field, `regex ${JSON.stringify(value)} is not valid RE2: ${problem}`);
}

/** Istio's validatePercentage for a `Percent {value}`: 0, or from 0.0001 to 100. Reports MAST2019. */
export function checkPercentage(read: FieldReader, percentage: { value?: number } | undefined, field: string): void {
  const value = percentage?.value ?? 0;
  if (value < 0 || value > 100 || (value > 0 && value < 0.0001)) {
    read.report('MAST2019', `${field}.value`, `percentage ${value} is neither 0.0, nor in range [0.0001, 100.0] (Istio's validatePercentage)`);
  }
}

/** Istio's ValidatePercent for an integer percentage: 0..100. Reports MAST2019. */
export function checkPercent(read: FieldReader, value: number | undefined, field: string): void {
  if (value !== undefined && (value < 0 || value > 100)) read.report('MAST2019', field, `percentage ${value} is not in range 0..100 (Istio's ValidatePercent)`);
}
