// Parts built per service (parts.ts `members`): the view cache keeps each member's output with
// what its build read, and builds again only the members whose reads changed, so an endpoint
// change costs the translation of one service, not of every service the proxy sees. The part's
// list of members is kept the same way, by what working it out read; when that changed, every
// member is built again, as a new list may close over new inputs.
//
// Finding the members to build again must not cost a look at each: members are indexed by the
// fine keys they read (one Service's endpoints), and when no kind any member read has changed,
// the keys changed since the last build (Snapshot.keysChangedAfter) name the only candidates.
import { LayeredMap } from '../model/layered-map';
import { SnapshotReads, type Reads } from '../model/snapshot-reads';
import type { Kind, Snapshot } from '../model/types';
import { joinOutputs, type PartMember, type PartOutput, type TranslationPart } from '../translate/parts';
import type { ProxyClass } from '../translate/types';
import type { TypeUrl } from './types';
import type { EncodedResource } from './wire';

export interface BuiltMember {
  output: PartOutput;
  /** What its build read, and the generation it was built in; no reads: it saw the generation. */
  reads: Reads | undefined;
  generation: number;
  /** Its resources checked and encoded, by type (set by the view cache). */
  encoded?: ReadonlyMap<TypeUrl, readonly [string, EncodedResource][]>;
}

/** One build of a part by members. */
export interface Members {
  list: readonly PartMember[];
  /** The list by member key. */
  byMember: ReadonlyMap<string, PartMember>;
  /** What working out the list read, and when it was worked out. */
  reads: Reads | undefined;
  generation: number;
  /** The generation of this build: every member kept was unchanged up to it. */
  checked: number;
  /** Each member's build, by member key: layered, so keeping 10,000 and building one copies none. */
  built: LayeredMap<string, BuiltMember>;
  /** The members built in this build; all of them when `listed`. */
  rebuilt: readonly string[];
  /** Whether the list was worked out again (so every member was built again). */
  listed: boolean;
  /**
   * Fine read key -> the members that read it, and every kind a member read. Both are only ever
   * added to, and shared by the builds that follow, so a stale entry costs a look, never a miss.
   */
  byKey: Map<string, Set<string>>;
  kinds: Set<Kind>;
  /** A member saw the generation (its reads are unknown): every member is looked at, every time. */
  blind: boolean;
}

const unchanged = (snapshot: Snapshot, reads: Reads | undefined, since: number): reads is Reads => reads !== undefined && !SnapshotReads.changed(snapshot, reads, since);

/** The members of `last` that may have to be built again: all of them, unless only fine keys changed. */
function candidates(snapshot: Snapshot, last: Members): Iterable<string> {
  const keys = last.blind || snapshot.changedSince(last.kinds, last.checked) ? undefined : snapshot.keysChangedAfter(last.checked);
  if (!keys) return last.built.keys();
  const found = new Set<string>();
  for (const key of keys) for (const member of last.byKey.get(key) ?? []) found.add(member);
  return found;
}

/**
 * Builds `part` for `proxy` on `snapshot` by members, keeping from `last` each member whose reads
 * are unchanged, or returns undefined when the part has no members for this proxy (it is then
 * built whole).
 */
export function buildMembers(part: TranslationPart, snapshot: Snapshot, proxy: ProxyClass, last: Members | undefined): Members | undefined {
  if (!part.members) return undefined;
  const build = (member: PartMember): BuiltMember => {
    const own = new SnapshotReads(snapshot);
    return { output: member.build(own), reads: own.reads(), generation: snapshot.generation };
  };
  if (last && unchanged(snapshot, last.reads, last.generation)) {
    const changed = new Map<string, BuiltMember>();
    for (const key of candidates(snapshot, last)) {
      const before = last.built.get(key);
      if (before && unchanged(snapshot, before.reads, before.generation)) continue;
      changed.set(key, build(last.byMember.get(key)!));
    }
    return index({ ...last, checked: snapshot.generation, built: last.built.with(changed), rebuilt: [...changed.keys()], listed: false });
  }
  const listing = new SnapshotReads(snapshot);
  const list = part.members(listing, proxy);
  if (!list) return undefined;
  const built = new Map(list.map((m) => [m.key, build(m)]));
  const members: Members = { list, byMember: new Map(list.map((m) => [m.key, m])), reads: listing.reads(), generation: snapshot.generation, checked: snapshot.generation, built: LayeredMap.of(built), rebuilt: [...built.keys()], listed: true, byKey: new Map(), kinds: new Set(), blind: false };
  return index(members);
}

/** Adds the rebuilt members' reads to the index. */
function index(members: Members): Members {
  for (const key of members.rebuilt) {
    const reads = members.built.get(key)!.reads;
    if (!reads) {
      members.blind = true;
      continue;
    }
    for (const kind of reads.kinds) members.kinds.add(kind);
    for (const read of reads.keys.keys()) {
      let readers = members.byKey.get(read);
      if (!readers) members.byKey.set(read, (readers = new Set()));
      readers.add(key);
    }
  }
  return members;
}

/** The part's output: every member's, in list order. */
export function membersOutput(members: Members): PartOutput {
  return joinOutputs(members.list.map((m) => members.built.get(m.key)!.output));
}

/**
 * What the part read, or undefined if any member saw the generation: the list's reads, every
 * kind a member read, and the index of fine keys (a superset of the members' keys).
 */
export function membersReads(members: Members): Reads | undefined {
  if (!members.reads || members.blind) return undefined;
  return { kinds: new Set([...members.reads.kinds, ...members.kinds]), keys: members.byKey };
}
