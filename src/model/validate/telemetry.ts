// A Telemetry's meaning, checked as Istio's ValidateTelemetry (pkg/config/validation/validation.go:
// validateOneOfSelectorType, validateWorkloadSelector, validatePolicyTargetReference(s),
// validateTelemetryMetrics, validateTelemetryTracing, validateTelemetryAccessLogging and, in
// validation_istiod.go, validateTelemetryFilter). Istio's schema refuses first (MAST1006) what its
// CRD bounds: an empty provider name, tag value or custom metric, a null entry, a sampling
// percentage outside 0-100; what the schema cannot say is checked here. Errors keep the last good
// version serving; Istio's warnings are MAST2041. Whether a named provider exists needs the mesh
// config and is found where the Telemetry is translated (src/translate/telemetry/).
import { childPath, type FieldReader } from '../parse/read';
import type { Meta, TelemetrySpec } from '../types';
import { celProblem } from './cel';
import { checkAnnotations } from './metadata';
import { checkTargetRefs } from './policy-target';
import { checkPolicySelection } from './security';

/**
 * Reports every problem Istio's ValidateTelemetry finds that Istio's schema lets by: MAST2038 for
 * the selector and targetRefs, MAST2058 for a filter expression that does not parse as CEL,
 * MAST2057 for an empty tag name or a tag override whose value does not fit its operation, each
 * at its field; Istio's warnings (several tracing entries or providers, which Istio does not
 * support, an empty tag override name) as MAST2041.
 */
export function validateTelemetry(spec: TelemetrySpec, read: FieldReader, meta: Meta): void {
  checkAnnotations(read, meta);
  checkPolicySelection(spec as Parameters<typeof checkPolicySelection>[0], read);
  checkTargetRefs(read, spec as Parameters<typeof checkTargetRefs>[1]);
  (spec.accessLogging ?? []).forEach((l, i) => {
    if (l.filter === undefined) return;
    const problem = celProblem(l.filter.expression ?? '');
    if (problem) read.report('MAST2058', `${childPath('spec.accessLogging', i)}.filter.expression`, `must be a valid CEL expression, ${problem}`);
  });
  const tracing = spec.tracing ?? [];
  if (tracing.length > 1) read.report('MAST2041', 'spec.tracing', 'multiple tracing is not currently supported (an Istio warning); the entries are merged in order');
  tracing.forEach((t, i) => {
    const field = childPath('spec.tracing', i);
    if ((t.providers ?? []).length > 1) read.report('MAST2041', `${field}.providers`, 'multiple providers is not currently supported (an Istio warning); the first is used');
    if (Object.keys(t.customTags ?? {}).includes('')) read.report('MAST2057', `${field}.customTags`, 'tag name may not be empty');
    // A formatter tag is CustomTag.value, newer than the Envoy API Mast encodes against.
    for (const [name, tag] of Object.entries(t.customTags ?? {})) {
      if (tag.formatter) read.report('MAST1008', `${childPath(`${field}.customTags`, name)}.formatter`, 'is not supported by Mast yet and is ignored');
    }
  });
  (spec.metrics ?? []).forEach((m, i) => {
    (m.overrides ?? []).forEach((o, j) => {
      const at = childPath(`${childPath('spec.metrics', i)}.overrides`, j);
      for (const [tag, to] of Object.entries(o.tagOverrides ?? {})) {
        const tagAt = childPath(`${at}.tagOverrides`, tag);
        if (tag === '') read.report('MAST2041', `${at}.tagOverrides`, 'tagOverrides.name may not be empty (an Istio warning)');
        if ((to.operation ?? 'UPSERT') === 'UPSERT' && !to.value) read.report('MAST2057', tagAt, 'tagOverrides.value must be set when operation is UPSERT');
        else if (to.operation === 'REMOVE' && to.value) read.report('MAST2057', tagAt, 'tagOverrides.value may only be set when operation is UPSERT');
      }
    });
  });
}
