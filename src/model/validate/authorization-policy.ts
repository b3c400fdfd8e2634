// AuthorizationPolicy as Istio's validation checks it (pkg/config/validation/validation.go:
// ValidateAuthorizationPolicy, checkDryRunAnnotation; pkg/config/security/security.go for the
// values), errors as MAST2043. Beside Istio's checks, what Mast does not translate is reported
// here: a CUSTOM action (no ext_authz) and `experimental.envoy.filters.*` keys (MAST1008).
import { isIP } from 'node:net';
import { childPath, type FieldReader } from '../parse/read';
import type { AuthorizationPolicySpec, Meta } from '../types';
import { checkAnnotations } from './metadata';
import { checkTargetRefs } from './policy-target';

type Rule = NonNullable<AuthorizationPolicySpec['rules']>[number];
type Source = NonNullable<NonNullable<Rule['from']>[number]['source']> & { trustDomains?: string[]; notTrustDomains?: string[] };
type Operation = NonNullable<NonNullable<Rule['to']>[number]['operation']>;

const DRY_RUN = 'istio.io/dry-run';
const GO_BOOLS = ['1', 't', 'T', 'TRUE', 'true', 'True', '0', 'f', 'F', 'FALSE', 'false', 'False'];

/** security.ValidateIPs: each an address or a CIDR block as Go's netip parses them. */
export function ipsProblem(values: readonly string[] | undefined): string | undefined {
  for (const v of values ?? []) {
    const [addr, bits, extra] = v.split('/');
    if (bits === undefined) {
      if (isIP(addr as string) === 0) return `bad IP address (${v})`;
    } else {
      const version = isIP(addr as string);
      const ok = extra === undefined && version !== 0 && /^(0|[1-9]\d*)$/.test(bits) && Number(bits) <= (version === 4 ? 32 : 128);
      if (!ok) return `bad CIDR range (${v})`;
    }
  }
  return undefined;
}

/** security.ValidatePorts: decimal numbers up to 65535. */
export function portsProblem(values: readonly string[] | undefined): string | undefined {
  const bad = (values ?? []).find((p) => !/^\d+$/.test(p) || Number(p) > 65535);
  return bad === undefined ? undefined : `bad port (${bad})`;
}

function emptyProblem(key: string, values: readonly string[] | undefined): string | undefined {
  return values?.some((v) => v === '') ? `empty value not allowed, found in ${key}` : undefined;
}

/** security.CheckWildcardValues (trust domains): at most one `*`, at the start or the end. */
function wildcardProblem(key: string, values: readonly string[] | undefined): string | undefined {
  for (const v of values ?? []) {
    if (v === '') return `empty value not allowed, found in ${key}`;
    const stars = v.split('*').length - 1;
    if (stars > 1) return `at most one wildcard is allowed, found in ${key}: ${JSON.stringify(v)}`;
    if (stars === 1 && v !== '*' && !v.startsWith('*') && !v.endsWith('*')) return `wildcard is only allowed at the start or end, found in ${key}: ${JSON.stringify(v)}`;
  }
  return undefined;
}

/** security.CheckTrustDomainValues. */
function trustDomainProblem(key: string, values: readonly string[] | undefined): string | undefined {
  return wildcardProblem(key, values) ?? (values?.some((v) => v.includes('/')) ? `trust domain must not contain '/', found in ${key}` : undefined);
}

/** security.CheckServiceAccount: at most 16, `sa` or `ns/sa`, no wildcard, at most 320 characters. */
function serviceAccountProblem(key: string, values: readonly string[] | undefined): string | undefined {
  if ((values?.length ?? 0) > 16) return 'may not have more than 16 values';
  for (const v of values ?? []) {
    if (v === '') return `empty value not allowed, found in ${key}`;
    if (v.includes('*')) return `wildcard not allowed, found in ${key}`;
    const slashes = v.split('/').length - 1;
    if (slashes > 1) return `expected format 'serviceAccount' or 'namespace/serviceAccount', found ${JSON.stringify(v)} in ${key}`;
    if (v.length > 320) return `value cannot exceed 320 characters, found ${JSON.stringify(v)} in ${key}`;
    if (slashes === 1 && (v.startsWith('/') || v.endsWith('/'))) return `expected format 'serviceAccount' or 'namespace/serviceAccount', found empty ${v.startsWith('/') ? 'namespace' : 'serviceAccount'} ${JSON.stringify(v)} in ${key}`;
  }
  return undefined;
}

/** security.CheckValidPathTemplate: `{*}` and `{**}` as whole segments, `{**}` last, other segments plain RFC 3986 pchars. */
function pathTemplateProblem(key: string, paths: readonly string[] | undefined): string | undefined {
  for (const path of paths ?? []) {
    const template = path.includes('{*}') || path.includes('{**}');
    const trimmed = path.replace(/^\/+|\/+$/g, '');
    let anySeen = false;
    for (const glob of trimmed.split('/')) {
      if ((glob === '{*}' || glob === '{**}') && anySeen) return `invalid or unsupported path ${trimmed}, found in ${key}. {**} is not the last operator`;
      if (glob === '{*}') continue;
      if (glob === '{**}') {
        anySeen = true;
        continue;
      }
      if (/[{}]/.test(glob)) return `invalid or unsupported path ${trimmed}, found in ${key}. Contains '{' or '}' beyond a supported path template`;
      if (template && !/^[a-zA-Z0-9\-._~%!$&'()+,;:@=]+$/.test(glob)) return `invalid or unsupported path ${trimmed}, found in ${key}. Contains segment ${glob} with invalid string literal`;
    }
  }
  return undefined;
}

/** `a[b]` with a non-empty b (validateMapKey). */
function mapKeyProblem(key: string): string | undefined {
  const open = key.indexOf('[');
  return key.endsWith(']') && open > 0 && open < key.length - 2 ? undefined : `bad key (${key}): should have format a[b]`;
}

/** security.ValidateAttribute: the `when` keys Istio knows and what each value must be. */
function attributeProblem(key: string, values: readonly string[]): string | undefined {
  const empty = emptyProblem(key, values);
  if (empty) return empty;
  if (key.startsWith('request.headers') || key.startsWith('request.auth.claims') || key.startsWith('experimental.envoy.filters.')) return mapKeyProblem(key);
  switch (key) {
    case 'source.ip':
    case 'remote.ip':
    case 'destination.ip':
      return ipsProblem(values);
    case 'source.serviceAccount':
      return serviceAccountProblem(key, values);
    case 'source.trustDomain':
      return wildcardProblem(key, values);
    case 'destination.port':
      return portsProblem(values);
    case 'source.namespace':
    case 'source.principal':
    case 'request.auth.principal':
    case 'request.auth.audiences':
    case 'request.auth.presenter':
    case 'connection.sni':
      return undefined;
    case 'destination.namespace':
      return `attribute ${key} is replaced by the metadata.namespace`;
    case 'destination.name':
    case 'destination.user':
      return `deprecated attribute ${key}: only supported in v1alpha1`;
    default:
      return key.startsWith('destination.labels') ? `attribute ${key} is replaced by the workload selector` : `unknown attribute: ${key}`;
  }
}

const SOURCE_FIELDS = ['principals', 'requestPrincipals', 'namespaces', 'ipBlocks', 'remoteIpBlocks', 'serviceAccounts', 'trustDomains'] as const;
const OPERATION_FIELDS = ['ports', 'methods', 'paths', 'hosts'] as const;
const NOT = (f: string): string => `not${f[0]?.toUpperCase()}${f.slice(1)}`;

function count(obj: Record<string, unknown>, fields: readonly string[]): number {
  return fields.reduce((n, f) => n + (Array.isArray(obj[f]) ? (obj[f] as unknown[]).length : 0), 0);
}

/** The `from` checks; true when the source names something a TCP connection shows. */
function checkSource(read: FieldReader, src: Source, rule: number, field: string): boolean {
  const report = (message: string): void => read.report('MAST2043', field, message);
  const s = src as Record<string, string[] | undefined>;
  const all = SOURCE_FIELDS.flatMap((f) => [f, NOT(f)]);
  if (count(s, ['principals', 'notPrincipals', 'namespaces', 'notNamespaces']) > 0 && count(s, ['serviceAccounts', 'notServiceAccounts']) > 0) {
    report(`cannot set serviceAccounts with namespaces or principals, found at rule ${rule}`);
  }
  if (count(s, all) === 0) report(`\`from.source\` must not be empty, found at rule ${rule}`);
  const problems = [
    ipsProblem(s.ipBlocks), ipsProblem(s.notIpBlocks), ipsProblem(s.remoteIpBlocks), ipsProblem(s.notRemoteIpBlocks),
    serviceAccountProblem('ServiceAccounts', s.serviceAccounts), serviceAccountProblem('NotServiceAccounts', s.notServiceAccounts),
    trustDomainProblem('TrustDomains', s.trustDomains), trustDomainProblem('NotTrustDomains', s.notTrustDomains),
    ...['principals', 'requestPrincipals', 'namespaces', 'ipBlocks', 'remoteIpBlocks'].flatMap((f) => [emptyProblem(f[0]?.toUpperCase() + f.slice(1), s[f]), emptyProblem(NOT(f).replace(/^n/, 'N'), s[NOT(f)])]),
  ];
  for (const p of problems) if (p) report(p);
  return ['notPrincipals', 'principals', 'ipBlocks', 'notIpBlocks', 'namespaces', 'notNamespaces', 'remoteIpBlocks', 'notRemoteIpBlocks', 'serviceAccounts', 'notServiceAccounts'].some((f) => s[f] !== undefined);
}

/** The `to` checks; true when the operation names ports (what a TCP connection shows). */
function checkOperation(read: FieldReader, op: Operation, rule: number, field: string): boolean {
  const report = (message: string): void => read.report('MAST2043', field, message);
  const o = op as Record<string, string[] | undefined>;
  if (count(o, OPERATION_FIELDS.flatMap((f) => [f, NOT(f)])) === 0) report(`\`to.operation\` must not be empty, found at rule ${rule}`);
  const problems = [
    portsProblem(o.ports), portsProblem(o.notPorts),
    ...OPERATION_FIELDS.flatMap((f) => [emptyProblem(f[0]?.toUpperCase() + f.slice(1), o[f]), emptyProblem(NOT(f).replace(/^n/, 'N'), o[NOT(f)])]),
    pathTemplateProblem('Paths', o.paths), pathTemplateProblem('NotPaths', o.notPaths),
  ];
  for (const p of problems) if (p) report(p);
  return o.ports !== undefined || o.notPorts !== undefined;
}

/** What the CUSTOM action cannot be combined with (ValidateAuthorizationPolicy's CUSTOM block). */
function checkCustom(read: FieldReader, spec: AuthorizationPolicySpec): void {
  if (!spec.rules?.length) read.report('MAST2043', 'spec.rules', 'CUSTOM action without `rules` is meaningless as it will never be triggered, add an empty rule `{}` if you want it be triggered for every request');
  else if (!spec.provider?.name) read.report('MAST2043', 'spec.provider', '`provider.name` must not be empty');
  const sourceFields = ['namespaces', 'serviceAccounts', 'trustDomains', 'principals', 'requestPrincipals'].flatMap((f) => [f, NOT(f)]);
  const bannedKeys = ['source.namespace', 'source.serviceAccount', 'source.trustDomain', 'source.principal'];
  (spec.rules ?? []).forEach((rule, i) => {
    (rule?.from ?? []).forEach((from, j) => {
      const s = (from?.source ?? {}) as Record<string, unknown[] | undefined>;
      for (const f of sourceFields) if (s[f]?.length) read.report('MAST2043', `spec.rules[${i}].from[${j}].source.${f}`, `From.${f[0]?.toUpperCase()}${f.slice(1)} is currently not supported with CUSTOM action`);
    });
    (rule?.when ?? []).forEach((when, j) => {
      if (bannedKeys.includes(when.key) || when.key.startsWith('request.auth.')) read.report('MAST2043', `spec.rules[${i}].when[${j}].key`, `${when.key} is currently not supported with CUSTOM action`);
    });
  });
  read.report('MAST1008', 'spec.action', 'CUSTOM (an ext_authz provider) is not supported by Mast yet: as Istio does for a provider it cannot use, requests the rules match are denied');
}

/** checkDryRunAnnotation and the rest of validateMetadata. */
function checkMetadata(read: FieldReader, spec: AuthorizationPolicySpec, meta: Meta): void {
  const { [DRY_RUN]: dryRun, ...others } = meta.annotations;
  checkAnnotations(read, { ...meta, annotations: others });
  if (dryRun === undefined) return;
  const field = childPath('metadata.annotations', DRY_RUN);
  const action = spec.action ?? 'ALLOW';
  if (action !== 'ALLOW' && action !== 'DENY') read.report('MAST2043', field, `the annotation ${DRY_RUN} currently only supports action ALLOW/DENY, found action ${action} in ${meta.namespace}/${meta.name}`);
  else if (!GO_BOOLS.includes(dryRun)) read.report('MAST2043', field, `${meta.namespace}/${meta.name} has annotation ${DRY_RUN} with invalid value (${dryRun})`);
}

/** ValidateAuthorizationPolicy (everything but the selector, which security.ts checks for every policy kind). */
export function checkAuthorizationPolicy(spec: AuthorizationPolicySpec, read: FieldReader, meta: Meta): void {
  checkMetadata(read, spec, meta);
  checkTargetRefs(read, spec);
  const action = spec.action ?? 'ALLOW';
  if (action === 'CUSTOM') checkCustom(read, spec);
  else if (spec.provider) read.report('MAST2043', 'spec.provider', `\`provider\` must not be with non CUSTOM action, found ${action}`);
  if (action === 'DENY' && !spec.rules?.length) read.report('MAST2043', 'spec.rules', 'DENY action without `rules` is meaningless as it will never be triggered, add an empty rule `{}` if you want it be triggered for every request');
  (spec.rules ?? []).forEach((rule, i) => {
    const at = `spec.rules[${i}]`;
    if (rule === null) {
      read.report('MAST2043', at, `\`rule\` must not be nil, found at rule ${i}`);
      return;
    }
    let tcpFrom = false;
    let tcpTo = false;
    (rule.from ?? []).forEach((from, j) => {
      if (from === null) read.report('MAST2043', `${at}.from[${j}]`, `\`from\` must not be nil, found at rule ${i}`);
      else if (!from.source) read.report('MAST2043', `${at}.from[${j}]`, `\`from.source\` must not be nil, found at rule ${i}`);
      else tcpFrom = checkSource(read, from.source, i, `${at}.from[${j}].source`) || tcpFrom;
    });
    (rule.to ?? []).forEach((to, j) => {
      if (to === null) read.report('MAST2043', `${at}.to[${j}]`, `\`to\` must not be nil, found at rule ${i}`);
      else if (!to.operation) read.report('MAST2043', `${at}.to[${j}]`, `\`to.operation\` must not be nil, found at rule ${i}`);
      else tcpTo = checkOperation(read, to.operation, i, `${at}.to[${j}].operation`) || tcpTo;
    });
    (rule.when ?? []).forEach((when, j) => {
      const field = `${at}.when[${j}]`;
      if (!when.key) return read.report('MAST2043', `${field}.key`, '`key` must not be empty');
      if (!when.values?.length && !when.notValues?.length) return read.report('MAST2043', field, `at least one of \`values\` or \`notValues\` must be set for key ${when.key}`);
      const bad = attributeProblem(when.key, when.values ?? []);
      if (bad) read.report('MAST2043', `${field}.values`, `invalid \`value\` for \`key\` ${when.key}: ${bad}`);
      const badNot = attributeProblem(when.key, when.notValues ?? []);
      if (badNot) read.report('MAST2043', `${field}.notValues`, `invalid \`notValue\` for \`key\` ${when.key}: ${badNot}`);
      if (when.key.startsWith('experimental.envoy.filters.')) {
        read.report('MAST1008', `${field}.key`, 'experimental.envoy.filters.* is not supported by Mast: an ALLOW rule testing it allows nothing, a DENY or AUDIT rule matches without it');
      }
    });
    const fromGiven = (rule.from ?? []).some((f) => f?.source);
    const toGiven = (rule.to ?? []).some((t) => t?.operation);
    if (action === 'DENY' && ((fromGiven && !toGiven && !tcpFrom) || (toGiven && !tcpTo))) {
      read.report('MAST2041', at, 'configured AuthorizationPolicy will deny all traffic to TCP ports under its scope due to the use of only HTTP attributes in a DENY rule; it is recommended to explicitly specify the port (an Istio warning)');
    }
  });
}
