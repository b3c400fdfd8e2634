// Every finding about the configuration in one list: the model's (reading, schema, meaning,
// references) and translation's (what Envoy would reject, left out: MAST4001). /debug/diagnostics
// and the status writer read it; the model logs its own, and translation's are logged here.
import { EventEmitter } from 'node:events';
import { formatDiagnostic, type ConfigStore, type Diagnostic, type Logger } from '../model';
import { FindingsLog } from '../model/findings-log';
import type { ViewCache } from '../xds/cache';

/**
 * The model's findings and translation's (MAST4001) as one list; `change` carries the whole list
 * whenever it differs from the one before (compared as formatted lines).
 */
export class MeshFindings extends EventEmitter<{ change: [findings: readonly Diagnostic[]] }> {
  private readonly log: FindingsLog;
  private lines = '';

  constructor(
    private readonly store: ConfigStore,
    private readonly views: ViewCache,
    log: Logger,
  ) {
    super();
    this.log = new FindingsLog(log);
    store.on('findings', () => this.refresh());
    views.onFindings(() => this.refresh());
  }

  current(): Diagnostic[] {
    return [...this.store.diagnostics(), ...this.views.findings()];
  }

  /** After the model or the views changed (or a push): logs translation's new findings, and tells listeners if anything changed. */
  refresh(): void {
    const translated = this.views.findings();
    this.log.report(translated);
    const all = [...this.store.diagnostics(), ...translated];
    const lines = all.map(formatDiagnostic).sort().join('\n');
    if (lines === this.lines) return;
    this.lines = lines;
    this.emit('change', all);
  }
}
