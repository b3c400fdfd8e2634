// What Envoy says when it rejects config, as people need to read it. Envoy's error_detail for a
// failed proto constraint carries the whole rejected message after the reason (Envoy's
// MessageUtil::validate: "Proto constraint validation failed (<reason>): <message dump>"), which
// for a route table is thousands of lines; the reason is what tells the user what is wrong.

const CONSTRAINT = 'Proto constraint validation failed (';
/**
 * A line of protobuf text format, as Envoy's DebugString prints a message: `routes {`, `}`, or a
 * field and one scalar (`name: "x"`, `port_value: 80`, `lb_policy: ROUND_ROBIN`); `route: no such
 * thing` is prose.
 */
const TEXT_PROTO_LINE = /^\s*(\}|[A-Za-z_][\w.]*\s*\{|\[[\w./]+\]\s*\{|[A-Za-z_][\w.]*:\s*("(?:[^"\\]|\\.)*"|-?[\d.][\w.+-]*|[A-Za-z_]\w*)\s*)$/;
/** Long enough for Envoy's longest single reasons (nested "caused by" chains), short enough for a log line. */
export const MAX_REASON_LENGTH = 2000;

/**
 * Envoy's rejection reason without the message dumps it appends: each "Proto constraint
 * validation failed (...)" is cut after its closing parenthesis, and the lines of protobuf text
 * format that follow it (the dump) are dropped; any other line is kept, whatever it looks like.
 * Several resources' reasons stay one per line; the whole is capped at MAX_REASON_LENGTH characters.
 */
export function nackReason(detail: string): string {
  const lines: string[] = [];
  let inDump = false;
  for (const line of detail.split('\n')) {
    const at = line.indexOf(CONSTRAINT);
    if (at >= 0) {
      lines.push(line.slice(0, closingParen(line, at + CONSTRAINT.length - 1) + 1));
      inDump = true;
    } else if (inDump && TEXT_PROTO_LINE.test(line)) {
      continue;
    } else {
      inDump = false;
      if (line.trim() !== '') lines.push(line);
    }
  }
  const reason = lines.join('\n');
  return reason.length > MAX_REASON_LENGTH ? `${reason.slice(0, MAX_REASON_LENGTH - 1)}…` : reason;
}

/** The index of the parenthesis closing the one at `open`, or the line's end if it never closes. */
function closingParen(line: string, open: number): number {
  let depth = 0;
  for (let i = open; i < line.length; i++) {
    if (line[i] === '(') depth++;
    else if (line[i] === ')' && --depth === 0) return i;
  }
  return line.length - 1;
}

/**
 * The reason as a metric label: its first line, at most 120 characters, so that the few distinct
 * reasons a broken config causes stay a few series.
 */
export function reasonLabel(reason: string): string {
  const first = reason.split('\n')[0] ?? '';
  return first.length > 120 ? `${first.slice(0, 119)}…` : first;
}
