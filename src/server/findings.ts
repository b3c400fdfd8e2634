// Every finding about the configuration in one list: the model's (reading, schema, meaning,
// references), translation's (what Envoy would reject, left out: MAST4001) and SDS's (a
// credentialName no Secret answers: MAST3008). /debug/diagnostics and the status writer read it;
// the model logs its own, and the others are logged here.
import { EventEmitter } from 'node:events';
import { formatDiagnostic, type ConfigStore, type Diagnostic, type Logger } from '../model';
import { FindingsLog } from '../model/findings-log';
import type { ViewCache } from '../xds/cache';
import { missingCredentialFindings, refusedCredentialFindings, type MissingCredential, type RefusedCredential } from './credential-findings';

/** What SDS knows of credentials proxies asked for and the source does not have (xds/credentials.ts). */
export interface MissingCredentials {
  missing(): MissingCredential[];
  /** The keys proxies asked for and were refused. */
  refused(): RefusedCredential[];
  onMissingChange(listener: () => void): void;
}

/**
 * The model's findings, translation's (MAST4001) and SDS's (MAST3008) as one list; `change` carries the whole list
 * whenever it differs from the one before (compared as formatted lines).
 */
export class MeshFindings extends EventEmitter<{ change: [findings: readonly Diagnostic[]] }> {
  private readonly log: FindingsLog;
  private lines = '';

  constructor(
    private readonly store: ConfigStore,
    private readonly views: ViewCache,
    log: Logger,
    private readonly credentials?: MissingCredentials,
  ) {
    super();
    this.log = new FindingsLog(log);
    store.on('findings', () => this.refresh());
    views.onFindings(() => this.refresh());
    credentials?.onMissingChange(() => this.refresh());
  }

  current(): Diagnostic[] {
    return [...this.store.diagnostics(), ...this.derived()];
  }

  /** Translation's findings and the missing credentials', which the model cannot see. */
  private derived(): Diagnostic[] {
    const missing = this.credentials?.missing() ?? [];
    const refused = this.credentials?.refused() ?? [];
    const snapshot = missing.length + refused.length > 0 ? this.store.snapshot() : undefined;
    const objects = snapshot ? [...snapshot.gateways(), ...snapshot.destinationRules()] : [];
    const credentials = snapshot ? [...missingCredentialFindings(objects, snapshot.pods(), missing), ...refusedCredentialFindings(objects, snapshot.pods(), refused)] : [];
    return [...this.views.findings(), ...credentials];
  }

  /** After the model or the views changed (or a push): logs translation's new findings, and tells listeners if anything changed. */
  refresh(): void {
    const translated = this.derived();
    this.log.report(translated);
    const all = [...this.store.diagnostics(), ...translated];
    const lines = all.map(formatDiagnostic).sort().join('\n');
    if (lines === this.lines) return;
    this.lines = lines;
    this.emit('change', all);
  }
}
