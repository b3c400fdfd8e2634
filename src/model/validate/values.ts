// Checks of values whose type the schema accepts (a string, a number) but whose content it does
// not read: durations, regular expressions, percentages.
import type { FieldReader } from '../parse/read';
import { re2Problem } from './regex';
import { fieldsAt } from './select';

const UNIT_NANOS: Record<string, bigint> = { ns: 1n, us: 1_000n, 'µs': 1_000n, 'μs': 1_000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n };
const MAX_NANOS = 1n << 63n;
const MILLI = 1_000_000n;

/**
 * Nanoseconds, as Go's time.ParseDuration reads `text` (`1.5s`, `-300ms`, `+2m`, `1h30m`, `0`), or
 * undefined where it fails. Istio decodes every protobuf Duration this way (golang/protobuf's jsonpb).
 * Fractions are truncated to whole nanoseconds, as Go does.
 */
export function goDurationNanos(text: string): bigint | undefined {
  let s = text;
  const negative = s.startsWith('-');
  if (s.startsWith('-') || s.startsWith('+')) s = s.slice(1);
  if (s === '0') return 0n;
  if (s === '') return undefined;
  let total = 0n;
  while (s !== '') {
    const part = /^(\d*)(?:\.(\d*))?([^\d.]*)/.exec(s) as RegExpExecArray;
    const [whole, int = '', frac, unit = ''] = part;
    if (int === '' && !frac) return undefined; // neither digits before nor after the dot
    const scale = UNIT_NANOS[unit];
    if (scale === undefined) return undefined; // missing or unknown unit
    let nanos = BigInt(int || '0') * scale;
    if (frac) nanos += (BigInt(frac) * scale) / 10n ** BigInt(frac.length);
    total += nanos;
    if (total > MAX_NANOS) return undefined;
    s = s.slice(whole.length);
  }
  if (!negative && total === MAX_NANOS) return undefined;
  return negative ? -total : total;
}

/** Reports MAST2006 for each value at `patterns` that does not decode as a Duration at all. */
export function checkDurations(root: unknown, patterns: readonly string[], read: FieldReader): void {
  for (const pattern of patterns) {
    for (const { value, field } of fieldsAt(root, pattern)) {
      if (typeof value === 'string' && goDurationNanos(value) === undefined) {
        read.report('MAST2006', field, `${JSON.stringify(value)} is not a duration (write e.g. 1.5s, 300ms, 2m, 1h)`);
      }
    }
  }
}

/**
 * Istio's agent.ValidateDuration, which its validation applies to timeouts, intervals and delays:
 * at least 1ms and a whole number of milliseconds. Reports MAST2006; a missing value passes.
 */
export function checkIstioDuration(read: FieldReader, value: unknown, field: string): void {
  if (typeof value !== 'string') return;
  const nanos = goDurationNanos(value);
  if (nanos === undefined) read.report('MAST2006', field, `${JSON.stringify(value)} is not a duration (write e.g. 1.5s, 300ms, 2m, 1h)`);
  else if (nanos < MILLI) read.report('MAST2006', field, `${value}: duration must be at least 1ms (Istio's ValidateDuration)`);
  else if (nanos % MILLI !== 0n) read.report('MAST2006', field, `${value}: only durations to ms precision are supported (Istio's ValidateDuration)`);
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
