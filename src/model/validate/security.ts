// The security.istio.io kinds as Istio's validation checks them (pkg/config/validation/
// validation.go: ValidatePeerAuthentication, ValidateAuthorizationPolicy,
// ValidateRequestAuthentication). Each starts with what every policy kind shares: a workload
// selector checked as validateWorkloadSelector checks it, and not both a selector and targetRefs
// (validateOneOfSelectorType). The checks particular to each kind live beside its translation's
// needs (src/policy/) and are added here as they are translated.
import type { FieldReader } from '../parse/read';
import type { AuthorizationPolicySpec, Meta, PeerAuthenticationSpec, RequestAuthenticationSpec } from '../types';
import { checkWorkloadSelector } from './metadata';
import { checkAuthorizationPolicy } from './authorization-policy';
import { checkRequestAuthentication } from './request-authentication';

type PolicySpec = { selector?: { matchLabels?: Record<string, string> }; targetRef?: unknown; targetRefs?: unknown[] };

/** validateWorkloadSelector and validateOneOfSelectorType (MAST2038). */
function checkPolicySelection(spec: PolicySpec, read: FieldReader): void {
  checkWorkloadSelector(read, spec.selector, 'spec.selector');
  const set = [spec.selector, spec.targetRef, spec.targetRefs?.length ? spec.targetRefs : undefined].filter((x) => x !== undefined).length;
  if (set > 1) read.report('MAST2038', 'spec.selector', 'only one of targetRefs or workloadSelector can be set');
}

export function validatePeerAuthentication(spec: PeerAuthenticationSpec, read: FieldReader): void {
  checkPolicySelection(spec as PolicySpec, read);
}

export function validateAuthorizationPolicy(spec: AuthorizationPolicySpec, read: FieldReader, meta: Meta): void {
  checkPolicySelection(spec as PolicySpec, read);
  checkAuthorizationPolicy(spec, read, meta);
}

export function validateRequestAuthentication(spec: RequestAuthenticationSpec, read: FieldReader, meta: Meta): void {
  checkPolicySelection(spec as PolicySpec, read);
  checkRequestAuthentication(spec, read, meta);
}
