// validatePolicyTargetReference(s) (pkg/config/validation/validation.go), shared by the policy
// kinds that take targetRefs (AuthorizationPolicy, RequestAuthentication): a name, no namespace
// (cross-namespace references are not supported), and a kind Istio attaches policies to.
import type { FieldReader } from '../parse/read';

interface TargetRef {
  group?: string;
  kind?: string;
  name?: string;
  namespace?: string;
}

/** allowedTargetRefs: group ("" is core) and kind. */
const ALLOWED = [
  { group: 'core', kind: 'Service' },
  { group: 'networking.istio.io', kind: 'ServiceEntry' },
  { group: 'gateway.networking.k8s.io', kind: 'Gateway' },
  { group: 'gateway.networking.k8s.io', kind: 'GatewayClass' },
];

const ALLOWED_TEXT = '[/v1, Kind=Service networking.istio.io/v1, Kind=ServiceEntry gateway.networking.k8s.io/v1, Kind=Gateway gateway.networking.k8s.io/v1, Kind=GatewayClass]';

function checkOne(read: FieldReader, ref: TargetRef, field: string): void {
  if (!ref.name) read.report('MAST2038', `${field}.name`, 'targetRef name must be set');
  if (ref.namespace) read.report('MAST2038', `${field}.namespace`, 'targetRef namespace must not be set; cross namespace referencing is not supported');
  const group = ref.group || 'core';
  if (!ALLOWED.some((a) => a.group === group && a.kind === ref.kind)) {
    read.report('MAST2038', field, `targetRef must be to one of ${ALLOWED_TEXT} but was ${ref.group ?? ''}/${ref.kind ?? ''}`);
  }
}

/** Checks `spec.targetRef` and each of `spec.targetRefs` (MAST2038). */
export function checkTargetRefs(read: FieldReader, spec: { targetRef?: TargetRef; targetRefs?: TargetRef[] }): void {
  if (spec.targetRef) checkOne(read, spec.targetRef, 'spec.targetRef');
  (spec.targetRefs ?? []).forEach((ref, i) => checkOne(read, ref, `spec.targetRefs[${i}]`));
}
