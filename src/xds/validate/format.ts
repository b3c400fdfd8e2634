// How protoc-gen-validate's generated C++ words the values in its messages, so Mast's violations
// read exactly like the NACK Envoy would have sent. PGV renders its templates in Go: string
// literals with Go's %q, lists with Go's %v (`[a b]`), durations with time.Duration.String()
// (`1h0m0s`), numbers with %v. Sources: protoc-gen-validate templates/cc/register.go (`lit`,
// `durStr`), checked against the messages compiled into Envoy 1.36's binary.

/** A duration as whole nanoseconds (BigInt: Envoy's limits reach 2^63). */
export type Nanos = bigint;

const NANOS_PER_SECOND = 1_000_000_000n;

/** proto3 JSON duration ("1.5s", "-0.250s") as nanoseconds; undefined when malformed. */
export function durationNanos(json: unknown): Nanos | undefined {
  if (typeof json !== 'string') return undefined;
  const m = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/.exec(json);
  if (!m) return undefined;
  const n = BigInt(m[2] as string) * NANOS_PER_SECOND + BigInt((m[3] ?? '').padEnd(9, '0'));
  return m[1] ? -n : n;
}

/** A Duration rule bound (`{seconds, nanos}` as protobufjs parses the option) as nanoseconds. */
export function boundNanos(bound: unknown): Nanos {
  const b = (bound ?? {}) as { seconds?: number | string; nanos?: number };
  return BigInt(b.seconds ?? 0) * NANOS_PER_SECOND + BigInt(b.nanos ?? 0);
}

/** Go's time.Duration.String(): `0s`, `1.5ms`, `1µs`, `5m0s`, `2500000h0m0s`. */
export function goDuration(d: Nanos): string {
  const neg = d < 0n;
  let u = neg ? -d : d;
  let out: string;
  if (u < NANOS_PER_SECOND) {
    if (u === 0n) return '0s';
    const [unit, prec] = u < 1000n ? ['ns', 0] : u < 1_000_000n ? ['µs', 3] : ['ms', 6];
    out = `${fraction(u, prec)}${unit}`;
  } else {
    const seconds = fraction(u % (60n * NANOS_PER_SECOND), 9);
    u /= 60n * NANOS_PER_SECOND;
    out = `${seconds}s`;
    if (u > 0n) {
      out = `${u % 60n}m${out}`;
      u /= 60n;
      if (u > 0n) out = `${u}h${out}`;
    }
  }
  return neg ? `-${out}` : out;
}

/** `v / 10^prec` with the fraction's trailing zeros dropped (Go's fmtFrac + fmtInt). */
function fraction(v: bigint, prec: number): string {
  const scale = 10n ** BigInt(prec);
  const whole = v / scale;
  const frac = (v % scale).toString().padStart(prec, '0').replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : `${whole}`;
}

const GO_ESCAPES: Record<string, string> = { '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v', '"': '\\"', '\\': '\\\\' };

/** Go's %q of a string: `"^[^\x00\n\r]*$"`. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0) as number;
    out += GO_ESCAPES[ch] ?? (code < 0x20 || code === 0x7f ? `\\x${code.toString(16).padStart(2, '0')}` : ch);
  }
  return `${out}"`;
}

/** PGV's `lit` of bytes: `"\x61\x62"`. */
export function goBytes(b: Uint8Array): string {
  return `"${[...b].map((x) => `\\x${x.toString(16).toUpperCase()}`).join('')}"`;
}

/** Go's %v of a list: `[a b c]`. */
export function goList(items: readonly unknown[]): string {
  return `[${items.map(String).join(' ')}]`;
}

/** Where a value sits inside a resource: `virtual_hosts[0].routes[2]`, `typed_per_filter_config["x"]`. */
export function fieldPath(parent: string, field: string): string {
  return parent ? `${parent}.${field}` : field;
}

export function indexPath(parent: string, index: number): string {
  return `${parent}[${index}]`;
}

export function keyPath(parent: string, key: string): string {
  return `${parent}[${JSON.stringify(key)}]`;
}
