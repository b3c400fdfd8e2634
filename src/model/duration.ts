// Durations as Istio reads them. Istio decodes every google.protobuf.Duration with golang/protobuf's
// jsonpb, which calls Go's time.ParseDuration (github.com/golang/protobuf jsonpb/decode.go), so a
// duration is what ParseDuration takes: `1.5s`, `300ms`, `2m`, `1h30m`, `+2s`, `-1s`, `0`.

const UNIT_NANOS: Record<string, bigint> = { ns: 1n, us: 1_000n, 'µs': 1_000n, 'μs': 1_000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n };
const MAX_NANOS = 1n << 63n;

/** The longest duration Go holds (an int64 of nanoseconds, about 292 years), as Go writes it. */
export const MAX_GO_DURATION = '2562047h47m16.854775807s';

/**
 * A duration read as time.ParseDuration reads it: nanoseconds, or why it fails. `syntax`: not a
 * duration at all; `range`: a duration beyond an int64 of nanoseconds (`9300000000s`), which Go
 * refuses too (as "invalid duration", the same words it uses for bad syntax).
 */
export type GoDuration = { nanos: bigint } | { problem: 'syntax' | 'range' };

/** Reads `text` as Go's time.ParseDuration does; fractions are truncated to whole nanoseconds, as Go does. */
export function readGoDuration(text: string): GoDuration {
  let s = text;
  const negative = s.startsWith('-');
  if (s.startsWith('-') || s.startsWith('+')) s = s.slice(1);
  if (s === '0') return { nanos: 0n };
  if (s === '') return { problem: 'syntax' };
  let total = 0n;
  let overflow = false;
  while (s !== '') {
    const part = /^(\d*)(?:\.(\d*))?([^\d.]*)/.exec(s) as RegExpExecArray;
    const [whole, int = '', frac, unit = ''] = part;
    if (int === '' && !frac) return { problem: 'syntax' }; // neither digits before nor after the dot
    const scale = UNIT_NANOS[unit];
    if (scale === undefined) return { problem: 'syntax' }; // missing or unknown unit
    let nanos = BigInt(int || '0') * scale;
    if (frac) nanos += (BigInt(frac) * scale) / 10n ** BigInt(frac.length);
    total += nanos;
    // Go stops at the first overflow; reading on tells a later syntax error from a range error.
    if (total > MAX_NANOS) overflow = true;
    s = s.slice(whole.length);
  }
  if (overflow || (!negative && total === MAX_NANOS)) return { problem: 'range' };
  return { nanos: negative ? -total : total };
}

/** Nanoseconds, or undefined where time.ParseDuration fails. */
export function goDurationNanos(text: string): bigint | undefined {
  const d = readGoDuration(text);
  return 'nanos' in d ? d.nanos : undefined;
}

/** Why `text`, which readGoDuration refused for `problem`, is not a duration Istio can decode: words for a finding. */
export function durationProblem(text: string, problem: 'syntax' | 'range'): string {
  if (problem === 'range') {
    return `${JSON.stringify(text)} is out of range: a duration is at most ${MAX_GO_DURATION} (about 292 years), the limit of Go's time.ParseDuration, which Istio decodes durations with`;
  }
  return `${JSON.stringify(text)} is not a duration (write e.g. 1.5s, 300ms, 2m, 1h)`;
}

/** Seconds, or undefined when `text` is not a non-negative Go duration. */
export function parseDuration(text: string): number | undefined {
  const nanos = goDurationNanos(text);
  return nanos === undefined || nanos < 0n ? undefined : Number(nanos) / 1e9;
}
