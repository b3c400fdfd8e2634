// AuthorizationPolicy as Istio's validation checks it (pkg/config/validation/validation.go:
// ValidateAuthorizationPolicy, checkDryRunAnnotation; the values as pkg/config/security/security.go
// checks them, in security-values.ts), errors as MAST2043. Beside Istio's checks, what Mast does
// not translate is reported here: a CUSTOM action (no ext_authz) and `experimental.envoy.filters.*`
// keys (MAST1008).
import { childPath, type FieldReader } from '../parse/read';
import type { AuthorizationPolicySpec, Meta } from '../types';
import { checkAnnotations } from './metadata';
import { checkTargetRefs } from './policy-target';
import { attributeProblem, emptyProblem, ipsProblem, pathTemplateProblem, portsProblem, serviceAccountProblem, trustDomainProblem } from './security-values';

type Rule = NonNullable<AuthorizationPolicySpec['rules']>[number];
type Source = NonNullable<NonNullable<Rule['from']>[number]['source']> & { trustDomains?: string[]; notTrustDomains?: string[] };
type Operation = NonNullable<NonNullable<Rule['to']>[number]['operation']>;

const DRY_RUN = 'istio.io/dry-run';
const GO_BOOLS = ['1', 't', 'T', 'TRUE', 'true', 'True', '0', 'f', 'F', 'FALSE', 'false', 'False'];

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
