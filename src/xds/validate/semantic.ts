// The checks Envoy makes when it loads a resource that its proto annotations do not express, for
// the four resource types Mast sends and what they embed. Structural checks per resource type live
// in route-checks.ts, cluster-checks.ts and listener-checks.ts; checks tied to a message type
// wherever it appears (every Duration, every RegexMatcher, every StringMatcher) ride on the proto
// walk of pgv.ts as visitors, so they also reach inside Any (typed_per_filter_config, filters).
import { re2Problem } from '../../model/validate/regex';
import { celExpressionProblem } from './cel-commands';
import { substitutionFormatProblem } from './header-format';
import { checkCluster, checkClusterLoadAssignment } from './cluster-checks';
import { durationNanos, goDuration } from './format';
import { checkListener } from './listener-checks';
import { envoyProtoRules, type Visitors } from './pgv';
import { re2ProgramSize } from '../../model/validate/re2-size';
import { checkRouteConfiguration } from './route-checks';
import type { Violation } from './violation';
import { obj, type Obj } from './json';

export interface ValidationLimits {
  /** Envoy's runtime key `re2.max_program_size.error_level` as the proxy's bootstrap sets it. */
  regexMaxProgramSize: number;
}

/** source/common/protobuf/utility.cc, validateDurationUnifiedNoThrow: kMaxSecondsValue. */
const MAX_DURATION_SECONDS = 9223372035n;

/** The per-message-type checks, for a given program size limit. */
export function semanticVisitors(limits: ValidationLimits): Visitors {
  return new Map([
    // MessageUtil::validateDurationFields (source/common/protobuf/utility.cc), run by Envoy over
    // every resource: no negative duration, none past kMaxSecondsValue.
    ['google.protobuf.Duration', (json, path, out) => {
      const n = durationNanos(json);
      if (n === undefined) return;
      if (n < 0n) out.push({ path, rule: 'duration.positive', message: `Invalid duration: Expected positive duration: ${String(json)}` });
      else if (n / 1_000_000_000n > MAX_DURATION_SECONDS) out.push({ path, rule: 'duration.range', message: `Duration out-of-range: ${goDuration(n)}` });
    }],
    // source/common/common/regex.cc, CompiledGoogleReMatcher: RE2 must compile the regex and its
    // program size must not exceed re2.max_program_size.error_level.
    ['envoy.type.matcher.v3.RegexMatcher', (json, path, out) => {
      const regex = obj(json)?.regex;
      if (typeof regex !== 'string' || regex === '') return;
      const p = `${path}.regex`;
      const syntax = re2Problem(regex);
      if (syntax) {
        out.push({ path: p, rule: 'regex.syntax', message: `Invalid regex '${regex}': ${syntax}` });
        return;
      }
      const size = re2ProgramSize(regex);
      if ('error' in size) out.push({ path: p, rule: 'regex.syntax', message: `Invalid regex '${regex}': ${size.error}` });
      else if (size.size > limits.regexMaxProgramSize) {
        out.push({ path: p, rule: 'regex.program_size', message: `regex '${regex}' RE2 program size may reach ${size.size} (Mast's upper bound) > max program size of ${limits.regexMaxProgramSize} set for the error level threshold` });
      }
    }],
    // source/extensions/access_loggers/filters/cel/config.cc: Envoy builds a Telemetry filter's
    // expression when it loads the listener, refusing what its CEL builder cannot resolve.
    ['envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter', (json, path, out) => {
      const expression = obj(json)?.expression;
      if (typeof expression !== 'string') return;
      const problem = celExpressionProblem(expression);
      if (problem) out.push({ path: `${path}.expression`, rule: 'cel.expression', message: `failed to create an expression: ${problem}` });
    }],
    // source/common/formatter/substitution_format_string.cc: Envoy parses an access log's format
    // (its text, or each string of its JSON) when it loads the listener; an unknown command or a
    // bad argument refuses the listener. Formatter extensions add commands of their own.
    ['envoy.config.core.v3.SubstitutionFormatString', (json, path, out) => {
      const f = obj(json);
      if (!f) return;
      const formatters = Array.isArray(f.formatters) ? f.formatters : [];
      const extensions = new Set(formatters.some((x) => obj(x)?.name === 'envoy.formatter.req_without_query') ? ['REQ_WITHOUT_QUERY'] : []);
      const check = (value: unknown, at: string): void => {
        if (typeof value === 'string') {
          const problem = substitutionFormatProblem(value, extensions);
          if (problem) out.push({ path: at, rule: 'format.command', message: problem });
        } else if (Array.isArray(value)) value.forEach((v, i) => check(v, `${at}[${i}]`));
        else if (obj(value)) for (const [k, v] of Object.entries(obj(value)!)) check(v, `${at}["${k}"]`);
      };
      check(f.text_format, `${path}.text_format`);
      check(obj(f.text_format_source)?.inline_string, `${path}.text_format_source.inline_string`);
      check(f.json_format, `${path}.json_format`);
    }],
    // source/common/common/matchers.h, StringMatcherImpl: ignore_case means nothing to a regex.
    ['envoy.type.matcher.v3.StringMatcher', (json, path, out) => {
      const m = obj(json);
      if (m?.ignore_case === true && m.safe_regex) out.push({ path: `${path}.ignore_case`, rule: 'string_matcher.ignore_case', message: 'ignore_case has no effect for safe_regex.' });
    }],
  ]);
}

const STRUCTURAL: Record<string, (json: Obj, path: string, out: Violation[]) => void> = {
  'envoy.config.route.v3.RouteConfiguration': checkRouteConfiguration,
  'envoy.config.cluster.v3.Cluster': checkCluster,
  'envoy.config.endpoint.v3.ClusterLoadAssignment': checkClusterLoadAssignment,
  'envoy.config.listener.v3.Listener': checkListener,
};

/** The per-resource-type checks (route-checks.ts, cluster-checks.ts, listener-checks.ts) only. */
export function structuralChecks(typeName: string, json: unknown, out: Violation[]): void {
  const check = STRUCTURAL[typeName];
  const o = obj(json);
  if (check && o) check(o, '', out);
}

/**
 * Violations of Envoy's load-time checks (not its proto rules) in `json`, a resource of
 * `typeName` in Mast's proto3 JSON. Types other than the four Mast sends get only the
 * per-message-type checks.
 */
export function checkEnvoySemantics(typeName: string, json: unknown, limits: ValidationLimits): Violation[] {
  const out = envoyProtoRules().check(typeName, json, semanticVisitors(limits), false);
  structuralChecks(typeName, json, out);
  return out;
}
