// What a SotW response of a type carries: the lists of resources (made, hashed and written once
// per part map and shared subscription, shared by every stream that holds them) and a stream's
// per-type state. The stream itself, and the rules of what it sends when, are sotw.ts.
import { createHash } from 'node:crypto';
import { CompositeMap } from './composite-map';
import type { TypeStatus } from './connection';
import { sotwResources, type EncodedResource } from './wire';

/** A type's resources by name, as a view holds them. */
export type Available = ReadonlyMap<string, EncodedResource>;

/** Resources in name order, as every SotW list is sent. */
export const byName = (a: EncodedResource, b: EncodedResource): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

const digest = (text: string): string => createHash('sha256').update(text).digest('base64url').slice(0, 12);

/** What one response of a type carries, with the hash its version is made of. */
export class ResourceList {
  private body: readonly Buffer[] | undefined;
  private list: readonly EncodedResource[] | undefined;

  private constructor(
    /** How many resources `resources` holds, known without making it. */
    readonly size: number,
    readonly hash: string,
    private readonly make: () => readonly EncodedResource[],
    private readonly write: () => readonly Buffer[],
    private index: Available | undefined,
  ) {}

  /** `resources` in name order. */
  static sorted(resources: EncodedResource[], index?: Available): ResourceList {
    resources.sort(byName);
    return new ResourceList(resources.length, digest(resources.map((r) => `${r.name}\0${r.version}`).join('\n')), () => resources, () => [sotwResources(resources)], index);
  }

  /**
   * The lists of a view's parts, one after the other: their bytes are shared, never re-encoded.
   * The joined resources are made only when a response is sent: a push that finds the proxy
   * holding this list already reads the hash alone. `index` is a map of the same entries.
   */
  static joined(lists: readonly ResourceList[], index: Available): ResourceList {
    const size = lists.reduce((n, l) => n + l.size, 0);
    return new ResourceList(size, digest(lists.map((l) => l.hash).join()), () => lists.flatMap((l) => l.resources), () => lists.flatMap((l) => l.chunks), index);
  }

  get resources(): readonly EncodedResource[] {
    return (this.list ??= this.make());
  }

  /** The response's repeated `resources` field, in pieces that are concatenated once, on send. */
  get chunks(): readonly Buffer[] {
    return (this.body ??= this.write());
  }

  get asMap(): Available {
    return (this.index ??= new Map(this.resources.map((r) => [r.name, r])));
  }
}

// Most responses carry every resource of the view's type (wildcard CDS and LDS; EDS and RDS that
// subscribe to all the view's names). A translation part's list is sorted, hashed and written
// once and shared by every stream whose view holds the part: part maps are immutable, so the map
// identifies the list. A view of several parts joins its parts' lists per response and shares
// their bytes, so nothing is kept per proxy.
const partLists = new WeakMap<Available, ResourceList>();

/** A joined list, under the lists it joins: `next` by the following part's list. */
interface Join {
  next: WeakMap<ResourceList, Join>;
  list?: ResourceList;
}
const joins = new WeakMap<ResourceList, Join>();

/**
 * The list joining `lists`, made once per sequence of part lists: a view is composed anew for each
 * snapshot, so its CompositeMap is new on every push even where none of its parts changed, and
 * joining (and hashing) per stream and push was most of the CDS and LDS work of an endpoint change
 * at 500 proxies. Each proxy's own (inbound) part makes its sequence its own; the entries go with
 * the part maps.
 */
function joinedList(lists: readonly ResourceList[], index: Available): ResourceList {
  let join: Join | undefined;
  let within = joins;
  for (const l of lists) {
    join = within.get(l);
    if (!join) within.set(l, (join = { next: new WeakMap() }));
    within = join.next;
  }
  return (join!.list ??= ResourceList.joined(lists, index));
}

/** The response list of every resource in `available`, made once per part map (bench/change-cost.ts measures it). */
export function wholeList(available: Available): ResourceList {
  if (available instanceof CompositeMap) return joinedList(available.parts.map(wholeList), available);
  let list = partLists.get(available);
  if (!list) {
    list = ResourceList.sorted([...available.values()], available);
    partLists.set(available, list);
  }
  return list;
}

/** One type's subscription and what was last sent and ACKed on one SotW stream. */
export class SotwTypeState {
  /** Empty resource_names means "all" only until the first explicit subscription. */
  wildcard = false;
  explicit = false;
  /** Read-only: shared with other streams asking for the same names (shared-names.ts). */
  subscribed: ReadonlySet<string> = new Set<string>();
  /** Names to send even if the set is unchanged: newly requested, or clusters that must warm. */
  forced = new Set<string>();
  sent: Available = new Map();
  sentHash: string | undefined;
  sentVersion: string | undefined;
  nonce: string | undefined;
  sentAt: Date | undefined;
  ackedVersion: string | undefined;
  ackedAt: Date | undefined;
  nack: TypeStatus['lastNack'];
  /**
   * The part maps the last response's list was chosen from, while the proxy is known to hold that
   * whole list (CHANGES_ONLY types): the next response may then carry only the names that changed
   * in those parts. Undefined when that is not certain (nothing sent yet, a NACK).
   */
  synced: readonly Available[] | undefined;

  chosen(available: Available): ResourceList {
    if (this.wildcard) return wholeList(available);
    let bySubscription = chosenLists.get(available);
    if (!bySubscription) chosenLists.set(available, (bySubscription = new WeakMap()));
    let list = bySubscription.get(this.subscribed);
    if (!list) {
      const out: EncodedResource[] = [];
      for (const name of this.subscribed) {
        const r = available.get(name);
        if (r) out.push(r);
      }
      // Names are unique, so as many as the view holds is all of them.
      list = out.length === available.size ? wholeList(available) : ResourceList.sorted(out);
      bySubscription.set(this.subscribed, list);
    }
    return list;
  }
}

// A non-wildcard subscription's list, once per part map and subscription: both are immutable
// and shared (a deployment's sidecars ask for the same EDS names, shared-names.ts), so every
// stream holding them would otherwise look up each of its 1200 names on every push.
const chosenLists = new WeakMap<Available, WeakMap<ReadonlySet<string>, ResourceList>>();
