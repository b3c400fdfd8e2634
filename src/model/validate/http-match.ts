// An http rule's match conditions, as Istio's validateHTTPRouteMatchRequest
// (pkg/config/validation/virtualservice.go) and validateStringMatch (validation.go) check them.
import type { FieldReader } from '../parse/read';
import { childPath } from '../parse/read';
import { matchHeaderNameProblem } from './headers';
import { checkGatewayNames } from './gateway-names';
import { isDns1123Label, labelProblems, portProblem } from './names';
import { checkRegex } from './values';

export interface StringMatch {
  exact?: string;
  prefix?: string;
  regex?: string;
}

export interface HttpMatchRequest {
  name?: string;
  uri?: StringMatch;
  scheme?: StringMatch;
  method?: StringMatch;
  authority?: StringMatch;
  headers?: Record<string, StringMatch | null>;
  queryParams?: Record<string, StringMatch | null>;
  withoutHeaders?: Record<string, StringMatch | null>;
  port?: number;
  sourceLabels?: Record<string, string>;
  gateways?: string[];
  sourceNamespace?: string;
  ignoreUriCase?: boolean;
}

/**
 * validateStringMatchRegexp: a regex match must be a non-empty regex Go's regexp compiles (and,
 * for Mast, RE2 too). Envoy refuses an empty regex, and with it the whole route table.
 */
function checkRegexMatch(read: FieldReader, sm: StringMatch | null | undefined, field: string): void {
  if (sm?.regex === undefined) return;
  if (sm.regex === '') read.report('MAST2016', `${field}.regex`, "regex string match should not be empty (Istio's validateStringMatch)");
  else checkRegex(read, sm.regex, `${field}.regex`);
}

/** validateStringMatch: as checkRegexMatch, and a prefix match must not be empty (Envoy refuses `prefix: ""` outside the path). */
export function checkStringMatch(read: FieldReader, sm: StringMatch | null | undefined, field: string): void {
  if (sm?.prefix === '') read.report('MAST2016', `${field}.prefix`, "prefix string match should not be empty (Istio's validateStringMatch)");
  checkRegexMatch(read, sm, field);
}

/**
 * Every match of rule `at`. `withoutHeaders` may use regex `*`, which Istio turns into "header
 * present" rather than a regex; a uri may have an empty prefix (Envoy's path prefix allows it).
 */
export function checkHttpMatches(read: FieldReader, matches: (HttpMatchRequest | null)[] | undefined, at: string): void {
  (matches ?? []).forEach((match, m) => {
    if (!match) return;
    const field = `${at}.match[${m}]`;
    for (const [name, header] of Object.entries(match.headers ?? {})) {
      const hf = childPath(`${field}.headers`, name);
      if (header === null) read.report('MAST2016', hf, `header match ${name} cannot be null`);
      const problem = matchHeaderNameProblem(name);
      if (problem) read.report('MAST2020', hf, problem);
      checkStringMatch(read, header, hf);
    }
    for (const [name, header] of Object.entries(match.withoutHeaders ?? {})) {
      const hf = childPath(`${field}.withoutHeaders`, name);
      const problem = matchHeaderNameProblem(name);
      if (problem) read.report('MAST2020', hf, problem);
      if (header && header.regex !== '*') checkStringMatch(read, header, hf);
    }
    checkRegexMatch(read, match.uri, `${field}.uri`);
    for (const key of ['scheme', 'method', 'authority'] as const) checkStringMatch(read, match[key], `${field}.${key}`);
    for (const [name, qp] of Object.entries(match.queryParams ?? {})) checkStringMatch(read, qp, childPath(`${field}.queryParams`, name));

    const portIssue = match.port ? portProblem(match.port) : undefined;
    if (portIssue) read.report('MAST2011', `${field}.port`, portIssue);
    for (const problem of labelProblems(match.sourceLabels)) read.report('MAST2027', `${field}.sourceLabels`, problem);
    checkGatewayNames(read, match.gateways, `${field}.gateways`, { warn: false });
    if (match.sourceNamespace && !isDns1123Label(match.sourceNamespace)) {
      read.report('MAST2026', `${field}.sourceNamespace`, `sourceNamespace match ${match.sourceNamespace} is invalid`);
    }
  });
}
