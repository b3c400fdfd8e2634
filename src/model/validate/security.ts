// The security.istio.io kinds as Istio's validation checks them (pkg/config/validation/
// validation.go: ValidatePeerAuthentication, ValidateAuthorizationPolicy,
// ValidateRequestAuthentication). Each starts with what every policy kind shares: a workload
// selector checked as validateWorkloadSelector checks it, and not both a selector and targetRefs
// (validateOneOfSelectorType). The checks particular to each kind live beside its translation's
// needs (src/policy/) and are added here as they are translated.
import { childPath, type FieldReader } from '../parse/read';
import type { AuthorizationPolicySpec, Meta, PeerAuthenticationSpec, RequestAuthenticationSpec } from '../types';
import { checkWorkloadSelector } from './metadata';
import { checkAuthorizationPolicy } from './authorization-policy';
import { checkRequestAuthentication } from './request-authentication';

type PolicySpec = { selector?: { matchLabels?: Record<string, string> }; targetRef?: unknown; targetRefs?: unknown[] };

/** validateWorkloadSelector and validateOneOfSelectorType (MAST2038); Telemetry's too. */
export function checkPolicySelection(spec: PolicySpec, read: FieldReader): void {
  checkWorkloadSelector(read, spec.selector, 'spec.selector');
  const set = [spec.selector, spec.targetRef, spec.targetRefs?.length ? spec.targetRefs : undefined].filter((x) => x !== undefined).length;
  if (set > 1) read.report('MAST2038', 'spec.selector', 'only one of targetRefs or workloadSelector can be set');
}

/**
 * ValidatePeerAuthentication: port-level modes only on a policy with a non-empty selector (a mesh
 * or namespace policy has no workload ports to name), and each port in 1..65535 (MAST2042,
 * MAST2011). An empty portLevelMtls, which Istio refuses too, is refused by Istio's schema first
 * (minProperties, MAST1006); a key that is not a decimal uint32, which protobuf's JSON reader
 * cannot decode, is MAST1006 too.
 */
export function validatePeerAuthentication(spec: PeerAuthenticationSpec, read: FieldReader): void {
  const keys = Object.keys(spec.portLevelMtls ?? {});
  const emptySelector = Object.keys(spec.selector?.matchLabels ?? {}).length === 0;
  if (emptySelector && keys.length > 0) read.report('MAST2042', 'spec.portLevelMtls', 'mesh/namespace peer authentication cannot have port level mTLS');
  for (const key of keys) {
    const field = childPath('spec.portLevelMtls', key);
    if (!/^\d+$/.test(key) || Number(key) > 0xffffffff) read.report('MAST1006', field, `port ${JSON.stringify(key)} is not a uint32`);
    else if (Number(key) < 1 || Number(key) > 65535) read.report('MAST2011', field, 'port must be in range 1..65535');
  }
  checkWorkloadSelector(read, spec.selector, 'spec.selector');
}

export function validateAuthorizationPolicy(spec: AuthorizationPolicySpec, read: FieldReader, meta: Meta): void {
  checkPolicySelection(spec as PolicySpec, read);
  checkAuthorizationPolicy(spec, read, meta);
}

export function validateRequestAuthentication(spec: RequestAuthenticationSpec, read: FieldReader, meta: Meta): void {
  checkPolicySelection(spec as PolicySpec, read);
  checkRequestAuthentication(spec, read, meta);
}
