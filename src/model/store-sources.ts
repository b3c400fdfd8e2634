// What each source (a file, an informer) defines, kept so that a rebuild can ask about the
// objects written since the last one alone: which sources define an object (in the order that
// decides between them), and the sources' own findings, without walking every source.
import type { ParsedObject } from './parse/object';
import type { Diagnostic } from './types';

export interface Source {
  /** By `Kind/namespace/name` (or, for what cannot be identified, by where it was read). */
  objects: Map<string, ParsedObject>;
  /** Findings about the source itself (malformed YAML, unreadable file) and its duplicates. */
  findings: Diagnostic[];
  /** Among sources defining the same object, the lowest rank wins when none of them is serving it yet. */
  rank: number;
}

/** One source's definition of an object. */
export interface Definition {
  sourceId: string;
  rank: number;
  parsed: ParsedObject;
}

/** Sources in the order that decides between two definitions of one object: rank, then sourceId. */
function bySourceOrder(x: { sourceId: string; rank: number }, y: { sourceId: string; rank: number }): number {
  return x.rank - y.rank || (x.sourceId < y.sourceId ? -1 : x.sourceId > y.sourceId ? 1 : 0);
}

export class Sources {
  private readonly sources = new Map<string, Source>();
  /** Key -> the sources that define the object. */
  private readonly holders = new Map<string, Set<string>>();
  /** Keys written since `takeWritten`. */
  private readonly written = new Set<string>();
  private readonly withFindings = new Set<string>();

  get(sourceId: string): Source | undefined {
    return this.sources.get(sourceId);
  }

  /** `sourceId` now gives `source` (undefined: nothing); every key it gave or gives counts as written. */
  set(sourceId: string, source: Source | undefined): void {
    const previous = this.sources.get(sourceId);
    for (const key of previous?.objects.keys() ?? []) if (!source?.objects.has(key)) this.hold(key, sourceId, false);
    for (const key of source?.objects.keys() ?? []) this.hold(key, sourceId, true);
    if (source) this.sources.set(sourceId, source);
    else this.sources.delete(sourceId);
    if (source?.findings.length) this.withFindings.add(sourceId);
    else this.withFindings.delete(sourceId);
  }

  /** One object added to or changed in `sourceId` (rank 0 if the source is new). */
  put(sourceId: string, parsed: ParsedObject): void {
    const source = this.sources.get(sourceId) ?? { objects: new Map(), findings: [], rank: 0 };
    source.objects.set(parsed.id, parsed);
    this.sources.set(sourceId, source);
    this.hold(parsed.id, sourceId, true);
  }

  /** One object gone from `sourceId`; false if the source did not have it. */
  drop(sourceId: string, key: string): boolean {
    const source = this.sources.get(sourceId);
    if (!source?.objects.delete(key)) return false;
    if (!source.objects.size && !source.findings.length) this.sources.delete(sourceId);
    this.hold(key, sourceId, false);
    return true;
  }

  /** The keys written since the last call, forgetting them. */
  takeWritten(): string[] {
    const keys = [...this.written];
    this.written.clear();
    return keys;
  }

  /** Every source's definition of `key`, by rank then sourceId. */
  definitions(key: string): Definition[] {
    return [...(this.holders.get(key) ?? [])]
      .map((sourceId) => {
        const source = this.sources.get(sourceId)!;
        return { sourceId, rank: source.rank, parsed: source.objects.get(key)! };
      })
      .sort(bySourceOrder);
  }

  /** The sources' own findings, by rank then sourceId. */
  findings(): Diagnostic[] {
    return [...this.withFindings]
      .map((sourceId) => ({ sourceId, rank: this.sources.get(sourceId)!.rank }))
      .sort(bySourceOrder)
      .flatMap(({ sourceId }) => this.sources.get(sourceId)!.findings);
  }

  private hold(key: string, sourceId: string, holds: boolean): void {
    this.written.add(key);
    let ids = this.holders.get(key);
    if (holds) {
      if (!ids) this.holders.set(key, (ids = new Set()));
      ids.add(sourceId);
    } else if (ids) {
      ids.delete(sourceId);
      if (!ids.size) this.holders.delete(key);
    }
  }
}
