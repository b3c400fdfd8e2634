// Rules and matches of a VirtualService that can never be used, which Istio reports as warnings
// (pkg/config/validation/validation.go: analyzeUnreachableHTTPRules, analyzeUnreachableTCPRules,
// analyzeUnreachableTLSRules, genMatchHTTPRoutes, coveredValidation; the same findings as its
// analyzers' IST0130 VirtualServiceUnreachableRule and IST0131 VirtualServiceIneffectiveMatch).
// Mast reports them as MAST2039 warnings; they never refuse an object.
import type { FieldReader } from '../parse/read';
import { isRecord } from '../parse/read';
import type { HttpMatchRequest, StringMatch } from './http-match';

interface Rule {
  name?: string;
  match?: (object | null)[];
}

/**
 * A match's content without its name, for comparing matches: Istio compares Go's JSON of the match
 * struct, which leaves out empty values, so `ignoreUriCase: false` equals no ignoreUriCase.
 */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const v = canonical(value[key]);
    const empty = v === undefined || v === null || v === false || v === 0 || v === '' || (Array.isArray(v) && v.length === 0) || (isRecord(v) && Object.keys(v).length === 0);
    if (!empty) out[key] = v;
  }
  return out;
}

const ruleName = (rule: Rule, n: number): string => (rule.name ? JSON.stringify(rule.name) : `#${n}`);
const matchName = (match: Record<string, unknown>, n: number): string => (typeof match.name === 'string' && match.name ? JSON.stringify(match.name) : `#${n}`);

/** Reports each rule after a catch-all rule, and each match an earlier rule already has. */
export function checkUnreachableRules(read: FieldReader, rules: (Rule | null)[] | undefined, field: string, http: boolean): void {
  const seen = new Map<string, number>();
  const prefixMatches: PrefixMatch[] = [];
  let catchAll = -1;
  const unreachable = (n: number, why: string): void => read.report('MAST2039', `${field}[${n}]`, `rule ${ruleName(rules?.[n] ?? {}, n)} is not used (${why}) (Istio's VirtualServiceUnreachableRule, IST0130)`);
  (rules ?? []).forEach((rule, n) => {
    if (!rule) return;
    if (!rule.match?.length) {
      if (catchAll >= 0) unreachable(n, 'only the last rule can have no matches');
      catchAll = n;
      return;
    }
    let duplicates = 0;
    rule.match.forEach((item, m) => {
      if (catchAll >= 0) return unreachable(n, 'route without matches defined before');
      const match = (item ?? {}) as Record<string, unknown>;
      const { name: _name, ...rest } = match;
      const key = JSON.stringify(canonical(http ? rest : match));
      const earlier = seen.get(key);
      if (earlier !== undefined) {
        duplicates++;
        read.report('MAST2039', `${field}[${n}].match[${m}]`, `match ${matchName(match, m)} of rule ${ruleName(rule, n)} is not used (duplicate match in rule ${ruleName(rules?.[earlier] ?? {}, earlier)}) (Istio's VirtualServiceIneffectiveMatch, IST0131)`);
        return;
      }
      seen.set(key, n);
      const prefix = http ? prefixMatch(item as HttpMatchRequest | null, n, m) : undefined;
      if (prefix) prefixMatches.push(prefix);
    });
    if (duplicates === rule.match.length) unreachable(n, 'all matches used by prior rules');
  });
  prefixMatches.forEach((a, i) => {
    for (const b of prefixMatches.slice(i + 1)) {
      if (b.prefix !== a.prefix && covers(a, b)) {
        read.report('MAST2039', `${field}[${b.rule}].match[${b.match}]`, `a match of prefix ${b.prefix} is not used (overlapping match of prefix ${a.prefix} in rule #${a.rule}) (Istio's VirtualServiceIneffectiveMatch, IST0131)`);
      }
    }
  });
}

/** genMatchHTTPRoutes: the parts of a uri-prefix match that coveredValidation compares, each as `exact:` or `prefix:` text. */
interface PrefixMatch {
  rule: number;
  match: number;
  prefix: string;
  port: number;
  method: string;
  authority: string;
  maps: Record<string, string>[];
}

const exactOrPrefix = (sm: StringMatch | null | undefined): string => (sm?.exact ? `exact:${sm.exact}` : sm?.prefix ? `prefix:${sm.prefix}` : '');
const flatten = (map: Record<string, StringMatch | null> | undefined): Record<string, string> =>
  Object.fromEntries(Object.entries(map ?? {}).map(([k, v]) => [k, exactOrPrefix(v)]));

function prefixMatch(match: HttpMatchRequest | null, rule: number, m: number): PrefixMatch | undefined {
  const prefix = match?.uri?.prefix;
  if (!match || !prefix) return undefined;
  return {
    rule,
    match: m,
    prefix,
    port: match.port ?? 0,
    method: exactOrPrefix(match.method) || 'exact:GET',
    authority: exactOrPrefix(match.authority),
    maps: [flatten(match.headers), flatten(match.queryParams), flatten(match.withoutHeaders)],
  };
}

/** coveredValidation: every request `b` matches, `a` (earlier) matches too. */
function covers(a: PrefixMatch, b: PrefixMatch): boolean {
  const within = (x: string, y: string): boolean => x === y || x.startsWith(y);
  if (!b.prefix.startsWith(a.prefix) || a.port !== b.port) return false;
  if (!within(a.method, b.method) || !within(a.authority, b.authority)) return false;
  return a.maps.every((am, i) => {
    const bm = b.maps[i] as Record<string, string>;
    return Object.keys(am).length === Object.keys(bm).length && Object.entries(am).every(([k, v]) => k in bm && within(v, bm[k] as string));
  });
}
