// Logs findings as they appear, each once, and readably at scale: a file with 10,000 unknown
// documents is a few lines, not 10,000. The full list stays with whoever keeps the findings
// (/debug/diagnostics, `mast analyze`).
import { formatDiagnostic, formatOrigin } from './errors';
import type { Logger } from './log';
import { refKey, type Diagnostic } from './types';

/** New findings of one code about one file (or API path) logged one by one before they are summed up. */
export const LOGGED_PER_GROUP = 3;

/**
 * A logger of findings for one producer (the model's, or translation's): each finding once, when
 * it first appears, as its formatted line with code, object, field and origin as fields.
 */
export class FindingsLog {
  private logged = new Set<string>();

  constructor(private readonly log: Logger) {}

  /**
   * Logs the findings not logged before (and still present last time); forgets those that are
   * gone, so one that comes back is logged again. Returns whether the set of findings changed.
   */
  report(findings: readonly Diagnostic[]): boolean {
    const lines = new Map<string, Diagnostic>();
    for (const d of findings) lines.set(formatDiagnostic(d), d);
    const groups = new Map<string, [string, Diagnostic][]>();
    for (const [line, d] of lines) {
      if (this.logged.has(line)) continue;
      const key = `${d.origin?.file ?? d.origin?.apiPath ?? ''}\0${d.code}`;
      const group = groups.get(key);
      if (group) group.push([line, d]);
      else groups.set(key, [[line, d]]);
    }
    for (const group of groups.values()) {
      for (const [line, d] of group.slice(0, LOGGED_PER_GROUP)) this.write(d, line);
      const rest = group.length - LOGGED_PER_GROUP;
      if (rest > 0) {
        const [, first] = group[0] as [string, Diagnostic];
        const where = first.origin?.file ?? first.origin?.apiPath ?? 'the config';
        this.write(first, `${where}: ${rest} more ${first.code} findings like the above (all of them: /debug/diagnostics, mast analyze)`, rest);
      }
    }
    const same = lines.size === this.logged.size && [...lines.keys()].every((l) => this.logged.has(l));
    this.logged = new Set(lines.keys());
    return !same;
  }

  private write(d: Diagnostic, line: string, more?: number): void {
    const fields = { code: d.code, object: d.object && refKey(d.object), field: d.field, origin: d.origin && formatOrigin(d.origin), ...(more ? { more } : {}) };
    if (d.severity === 'error') this.log.error(fields, line);
    else this.log.warn(fields, line);
  }
}
