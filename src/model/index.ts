// The model's public face: what sources write into and what translate/, xds/, admin/ and cli/ read.
import { ConfigStore, type ConfigStoreOptions } from './store';
import { parseDocuments } from './parse/documents';
import type { Diagnostic, Snapshot } from './types';

export * from './types';
export { ConfigStore, type ConfigStoreOptions } from './store';
export type { Logger } from './log';
export { decodeConfigText, DOCUMENT_LIMITS, parseDocuments, tooLarge, type ParsedDocuments, type RawObject } from './parse/documents';
export { DIAGNOSTIC_CODES, diagnostic, formatDiagnostic, formatFieldDiagnostic, formatOrigin, type DiagnosticCode } from './errors';
export { SUPPORTED_FIELDS } from './supported';
export { parseDuration } from './duration';
export { resolveHost } from './hosts';

/** A snapshot of one YAML text, for golden tests and one-off tools. */
export function snapshotFromYaml(
  text: string,
  file = 'input.yaml',
  options: Omit<ConfigStoreOptions, 'log'> = {},
): { snapshot: Snapshot; diagnostics: Diagnostic[] } {
  const store = new ConfigStore(options);
  const { objects, diagnostics } = parseDocuments(text, file);
  store.replaceSource(file, objects, diagnostics);
  return { snapshot: store.snapshot(), diagnostics: store.diagnostics() };
}
