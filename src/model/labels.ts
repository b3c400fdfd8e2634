/** Kubernetes selector semantics: every key of `selector` is in `labels` with the same value. */
export function labelsMatch(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
}
