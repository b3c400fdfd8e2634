// When each fine read key (snapshot-reads.ts: one Service's endpoints) last changed, and which
// keys the last generations changed, in order. The view cache asks "did any key this piece read
// change?" of pieces that read thousands of keys (a part built per service), so the answer comes
// from the few keys that changed since, not from the piece's keys.
//
// One instance is shared by every snapshot of a store. Its values only grow, so an older snapshot
// asked about it may see a change that is not its own yet: that costs a rebuild, never a stale piece.

/** What a reader read by fine key: anything with `has` and `keys()` (a Set, or a Map keyed by them). */
export type ReadKeys = Pick<ReadonlySet<string>, 'has' | 'keys' | 'size'>;

/** Generations whose keys are kept in order; a reader built longer ago has its keys looked up one by one. */
const LOGGED_GENERATIONS = 256;

export class KeyChanges {
  private readonly at = new Map<string, number>();
  private readonly log: { generation: number; keys: readonly string[] }[] = [];
  private latest = 0;
  /** The newest generation whose keys left the log: the log holds every change after it. */
  private forgotten = 0;

  /** Records that `keys` changed in `generation` (generations only grow). */
  note(keys: readonly string[], generation: number): void {
    if (keys.length === 0) return;
    for (const key of keys) this.at.set(key, generation);
    this.log.push({ generation, keys });
    if (this.log.length > LOGGED_GENERATIONS) this.forgotten = this.log.shift()!.generation;
    this.latest = generation;
  }

  /** The keys changed after generation `since` (with repeats), or undefined when the log no longer reaches back to it. */
  after(since: number): string[] | undefined {
    if (this.latest <= since) return [];
    if (since < this.forgotten) return undefined;
    const out: string[] = [];
    for (let i = this.log.length - 1; i >= 0 && this.log[i]!.generation > since; i--) out.push(...this.log[i]!.keys);
    return out;
  }

  /** Whether any of `keys` changed after generation `since`. */
  changedSince(keys: ReadKeys, since: number): boolean {
    if (this.latest <= since || keys.size === 0) return false;
    const recent = this.after(since);
    if (recent && recent.length < keys.size) return recent.some((k) => keys.has(k));
    for (const key of keys.keys()) if ((this.at.get(key) ?? 0) > since) return true;
    return false;
  }
}
