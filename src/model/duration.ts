// Istio writes durations the way Go does (`1.5s`, `300ms`, `2m`, `1h30m`, also `+2s`).

const UNIT_SECONDS: Record<string, number> = { ns: 1e-9, us: 1e-6, 'µs': 1e-6, 'μs': 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
const PART = String.raw`(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)`;
const WHOLE = new RegExp(`^\\+?(?:${PART})+$`);

/** Seconds, or undefined when `text` is not a non-negative Go duration. */
export function parseDuration(text: string): number | undefined {
  if (text === '0' || text === '+0') return 0;
  if (!WHOLE.test(text)) return undefined;
  return [...text.matchAll(new RegExp(PART, 'g'))].reduce((sum, [, n, unit]) => sum + Number(n) * (UNIT_SECONDS[unit as string] ?? 0), 0);
}
