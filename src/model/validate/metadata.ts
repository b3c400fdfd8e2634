// What Istio checks of every object's metadata and visibility before its spec
// (pkg/config/validation/validation.go: validateMetadata, checkDryRunAnnotation, validateExportTo,
// validateWorkloadSelector).
import type { FieldReader } from '../parse/read';
import { childPath } from '../parse/read';
import type { Meta } from '../types';
import { isDns1123Label } from './names';

/** Annotations only Istio itself may set; `istio.io/dry-run` belongs to AuthorizationPolicy alone. */
const FORBIDDEN_ANNOTATIONS = ['istio.io/dry-run', 'internal.istio.io/webhook-always-reject', 'internal.istio.io/parent-namespace', 'internal.istio.io/parents'];

/** validateMetadata for the networking kinds (MAST2035). */
export function checkAnnotations(read: FieldReader, meta: Meta): void {
  for (const name of FORBIDDEN_ANNOTATIONS) {
    if (name in meta.annotations) read.report('MAST2035', childPath('metadata.annotations', name), `annotation ${name} is not allowed here (Istio's validateMetadata)`);
  }
}

/**
 * validateExportTo: entries unique (`.` counts as the object's own namespace), each `.`, `*` or a
 * namespace name, `*` alone; a DestinationRule with a workload selector exports only to its own
 * namespace (MAST2028).
 */
export function checkExportTo(read: FieldReader, exportTo: string[] | undefined, namespace: string, field: string, withSelector = false): void {
  if (!exportTo?.length) return;
  const seen = new Set<string>();
  const report = (message: string): void => read.report('MAST2028', field, message);
  for (const entry of exportTo) {
    const key = entry === '.' ? namespace : entry;
    if (seen.has(key)) report(key !== entry ? `duplicate entries in exportTo: . and current namespace ${namespace}` : `duplicate entries in exportTo for entry ${entry}`);
    else if (entry === '~') report('exportTo ~ (none) is not allowed for Istio configuration objects');
    else if (key !== '*' && !isDns1123Label(key)) report('only .,*, or a valid DNS 1123 label is allowed as exportTo entry');
    else seen.add(key);
  }
  if (withSelector && seen.size > 0) {
    if (!seen.has(namespace)) report('destination rule with workload selector cannot have exportTo beyond current namespace');
    else if (seen.size > 1) report('destination rule with workload selector cannot have multiple entries in exportTo');
  }
  if (seen.has('*') && exportTo.length > 1) report('cannot have both public (*) and non-public exportTo values for a resource');
}

/** validateWorkloadSelector: keys not empty, no `*` in keys or values (MAST2038); no labels at all is a warning. */
export function checkWorkloadSelector(read: FieldReader, selector: { matchLabels?: Record<string, string> } | undefined, field: string): void {
  if (!selector) return;
  const labels = selector.matchLabels ?? {};
  for (const [k, v] of Object.entries(labels)) {
    if (k === '') read.report('MAST2038', `${field}.matchLabels`, `empty key is not supported in selector: "=${v}"`);
    if (k.includes('*') || v.includes('*')) read.report('MAST2038', childPath(`${field}.matchLabels`, k), `wildcard is not supported in selector: "${k}=${v}"`);
  }
  if (Object.keys(labels).length === 0) read.report('MAST2041', field, "workload selector specified without labels (an Istio warning: validateWorkloadSelector)");
}
