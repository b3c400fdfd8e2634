// Header values in headers_to_add are substitution format strings: Envoy parses them when it loads
// the route, and one it cannot parse makes it refuse the whole route table. What Envoy 1.36.4 does
// (tag v1.36.4, commit bad8280de85c25b147a90c1d9b8a8c67a13e7134):
// 1. source/common/router/header_parser.cc (parseHttpHeaderFormatter): unless the runtime flag
//    envoy.reloadable_features.remove_legacy_route_formatter is set (it is false by default in 1.36,
//    and Mast's bootstrap does not set it), the value is first rewritten by
//    source/common/router/header_parser_utils.cc: `%UPSTREAM_METADATA(["a", "b"])%` and
//    `%DYNAMIC_METADATA([...])%` become `%..._METADATA(a:b)%` (translateMetadataFormat; if any such
//    JSON is not a non-empty array of strings, the whole value is left as it was), and
//    `%PER_REQUEST_STATE(key)%` becomes `%FILTER_STATE(key:PLAIN)%` (translatePerRequestState).
//    Both rewrite `%%`-escaped text too, as Envoy does.
// 2. source/common/formatter/substitution_formatter.cc (SubstitutionFormatParser::parse): `%%` is a
//    literal `%`; any other `%` must start `%NAME(ARG):LENGTH%` as the RE2 pattern
//    `^%((?:[A-Z]|[0-9]|_)+)(?:\((.*?)\))?(?::([0-9]+))?%` matches it (ARG is the shortest text up to
//    a `)` that the rest can follow, so it may hold `%` and `)`; LENGTH must fit a size_t), else
//    "Couldn't find valid command at position N" (N in bytes). NAME goes to the built-in command
//    parsers (format-commands.ts, cel-commands.ts); none knowing it is "Not supported field in
//    StreamInfo: NAME".
import { celProblem } from './cel-commands';
import { commandProblem, FORMAT_COMMANDS } from './format-commands';

/** RE2's `.` is any character but `\n`; `\s` is `[\t\n\f\r ]`. */
const COMMAND = /^%([A-Z0-9_]+)(?:\(([^\n]*?)\))?(?::([0-9]+))?%/u;
const LEGACY_METADATA = /%(UPSTREAM|DYNAMIC)_METADATA\([\t\n\f\r ]*(\[[^]+?\][\t\n\f\r ]*)\)%/u;
const PER_REQUEST_STATE = /%PER_REQUEST_STATE\(([^\n]+?)\)%/u;
const SIZE_T_MAX = 2n ** 64n - 1n;

/** translateMetadataFormat: the JSON-array metadata arguments as colon paths. */
function translateMetadataFormat(value: string): string {
  let out = value;
  for (let m = LEGACY_METADATA.exec(out); m; m = LEGACY_METADATA.exec(out)) {
    let path: unknown;
    try {
      path = JSON.parse(m[2] as string);
    } catch {
      return value;
    }
    if (!Array.isArray(path) || path.length === 0 || !path.every((p) => typeof p === 'string')) return value;
    const replacement = `%${m[1]}_METADATA(${path.join(':')})%`;
    out = out.replaceAll(m[0], () => replacement);
  }
  return out;
}

/** translatePerRequestState: PER_REQUEST_STATE(key) as FILTER_STATE(key:PLAIN). */
function translatePerRequestState(value: string): string {
  let out = value;
  for (let m = PER_REQUEST_STATE.exec(out); m; m = PER_REQUEST_STATE.exec(out)) {
    const replacement = `%FILTER_STATE(${m[1]}:PLAIN)%`;
    out = out.replaceAll(m[0], () => replacement);
  }
  return out;
}

/**
 * Why Envoy refuses the command `name(arg)` (`length` when `:N` was given), or undefined.
 * `extensions`: commands of formatter extensions the format string configures (taken as given).
 */
function problemOf(name: string, arg: string, length: boolean, extensions: ReadonlySet<string>): string | undefined {
  if (name === 'CEL' || name === 'TYPED_CEL') return celProblem(name, arg);
  if (extensions.has(name)) return undefined;
  const rule = FORMAT_COMMANDS.get(name);
  if (!rule) return `unknown command %${name}% (Envoy 1.36's header formatters do not have it)`;
  return commandProblem(name, rule, arg, length);
}

/**
 * Why Envoy 1.36 would refuse `value` as the value of a header to add, or undefined: Envoy's own
 * words where Mast checks what Envoy checks, else a message saying why Mast cannot confirm it
 * (an unknown command, or a CEL expression outside what Mast confirms; see cel-commands.ts).
 */
export function headerFormatProblem(value: string): string | undefined {
  if (!value.includes('%')) return undefined;
  return substitutionFormatProblem(translatePerRequestState(translateMetadataFormat(value)));
}

/**
 * Why Envoy 1.36 would refuse `format` as a substitution format string where it is used as it
 * stands (an access log's text format or JSON value; SubstitutionFormatParser::parse), or
 * undefined. `extensions` names the commands of the formatter extensions configured beside it
 * (`envoy.formatter.req_without_query` adds REQ_WITHOUT_QUERY).
 */
export function substitutionFormatProblem(format: string, extensions: ReadonlySet<string> = new Set()): string | undefined {
  let i = 0;
  while ((i = format.indexOf('%', i)) >= 0) {
    if (format[i + 1] === '%') {
      i += 2;
      continue;
    }
    const m = COMMAND.exec(format.slice(i));
    if (!m || (m[3] !== undefined && BigInt(m[3]) > SIZE_T_MAX)) {
      return `Incorrect configuration: ${format}. Couldn't find valid command at position ${Buffer.byteLength(format.slice(0, i))}`;
    }
    const problem = problemOf(m[1] as string, m[2] ?? '', m[3] !== undefined, extensions);
    if (problem) return problem;
    i += m[0].length;
  }
  return undefined;
}
