// State-of-the-world ADS: each response carries the full set of a type's resources the proxy
// subscribes to, except EDS and RDS pushes, which carry what changed when that is known exactly
// (a resource missing from those is not a deletion). See ../shared/xds-rules.md for the rules
// each branch below follows.
import type { DiscoveryRequest__Output } from '../../proto/gen/envoy/service/discovery/v3/DiscoveryRequest';
import { TYPE_URLS } from '../translate/types';
import type { ProxyView } from './cache';
import { Connection, type PushContext } from './connection';
import { PUSH_ORDER, SHORT_TYPE, isRootType, type TypeUrl } from './types';
import { checkNames, namesBesides } from './limits';
import { namesChangedSince, partsOf } from './part-diff';
import { sharedNames } from './shared-names';
import { byName, SotwTypeState, type Available } from './sotw-lists';
import { ResponseBytes, sotwPieces, sotwResources, type EncodedResource } from './wire';

const EMPTY = new Map<string, EncodedResource>();

/**
 * The request names each shared subscription was first made from. Every SotW ACK repeats the
 * type's names (1200 EDS names on the 1000-service mesh), in the same order as the request
 * before it: compared in order with these, an unchanged subscription is told without hashing
 * each name into a set of its own, per ACK. Kept once per distinct subscription, not per stream.
 */
const requestOf = new WeakMap<ReadonlySet<string>, { names: readonly string[]; wildcard: boolean }>();

// The same array when both requests' names were reused from one decoded list (repeated-names.ts).
const sameInOrder = (a: readonly string[], b: readonly string[]): boolean => a === b || (a.length === b.length && a.every((n, i) => n === b[i]));

/**
 * The names of `before` that `after` lacks. When `after` is made of `before`'s parts or their
 * successors, only the names their part diffs record can have gone (part-diff.ts), so a push
 * that changed one service looks at that service's names, not at every cluster the proxy holds.
 */
function removedNames(before: Available, after: Available): string[] {
  if (before === after) return [];
  const candidates = namesChangedSince(partsOf(before), after) ?? before.keys();
  const out: string[] = [];
  for (const n of candidates) if (before.has(n) && !after.has(n)) out.push(n);
  return out;
}

/**
 * Types whose SotW responses may carry only what changed. Envoy hands a non-wildcard EDS or RDS
 * watch a response only when it holds one of the watch's names (GrpcMuxImpl::
 * processDiscoveryResources, grpc_mux_impl.cc: "onConfigUpdate should be called only on watches
 * (clusters/listeners) that have updates in the message for EDS/RDS"); a resource goes when its
 * parent stops naming it. istiod sends only the changed ClusterLoadAssignments the same way
 * (pilot/pkg/xds/eds.go, canSendPartialFullPushes). CDS and LDS are full state; SDS and ECDS stay
 * whole, being few and small.
 */
const CHANGES_ONLY: ReadonlySet<TypeUrl> = new Set([TYPE_URLS.endpoint, TYPE_URLS.route]);

export class SotwConnection extends Connection {
  readonly transport = 'sotw' as const;
  private readonly states = new Map<TypeUrl, SotwTypeState>();

  /** Handles one DiscoveryRequest; returns false if it was ignored as stale. */
  onRequest(req: DiscoveryRequest__Output, view: ProxyView): boolean {
    const typeUrl = req.type_url as TypeUrl;
    // SotW's names replace the type's set: the request's count is the type's next count.
    checkNames(this.limits, typeUrl, req.resource_names, () => req.resource_names.length, namesBesides(this.states, typeUrl));
    let st = this.states.get(typeUrl);
    const first = !st;
    if (!st) {
      st = new SotwTypeState();
      this.states.set(typeUrl, st);
    }
    if (!first && req.response_nonce !== st.nonce) {
      // An answer to a response that has since been superseded: the newer response is on its way.
      // A rejected one left the proxy short of some of it, so the next response is the whole list.
      if (req.error_detail) st.synced = undefined;
      if (req.response_nonce !== '') return false;
    }
    if (req.response_nonce !== '' && req.response_nonce === st.nonce) {
      if (req.error_detail) {
        st.synced = undefined;
        st.nack = this.rejected(typeUrl, req.response_nonce, req.error_detail.message, st.sentVersion);
      } else {
        st.ackedVersion = req.version_info;
        st.ackedAt = new Date();
        this.acked(req.response_nonce);
      }
    }
    // An ACK or NACK that leaves the subscription as it was asks for nothing new: pushes carry
    // changes, so recomputing the whole set here would only find it unchanged.
    if (this.subscribe(st, req.resource_names) || first) this.push(this.requested(view));
    return true;
  }

  /** Applies the request's names; true if the subscription changed. */
  private subscribe(st: SotwTypeState, names: string[]): boolean {
    if (!st.explicit && names.length === 0) {
      const changed = !st.wildcard;
      st.wildcard = true;
      return changed;
    }
    const madeFrom = requestOf.get(st.subscribed);
    if (st.explicit && madeFrom?.wildcard === st.wildcard && sameInOrder(madeFrom.names, names)) return false;
    const wildcard = names.includes('*');
    const next = new Set(names.filter((n) => n !== '*'));
    let changed = !st.explicit || wildcard !== st.wildcard || next.size !== st.subscribed.size;
    for (const n of next) {
      if (!st.subscribed.has(n)) {
        // Until the type's first response the whole list goes anyway: remembering each name would
        // hold a set of the request's 1200 EDS names per stream waiting for its turn (inflight.ts).
        if (st.sentHash !== undefined) st.forced.add(n);
        changed = true;
      }
    }
    st.explicit = true;
    st.wildcard = wildcard;
    if (!changed) return false;
    st.subscribed = sharedNames(next);
    if (!requestOf.has(st.subscribed)) requestOf.set(st.subscribed, { names, wildcard });
    return true;
  }

  protected sync(ctx: PushContext): void {
    const view = ctx.view;
    const cds = this.states.get(TYPE_URLS.cluster);
    const newClusters = view.resources.get(TYPE_URLS.cluster) ?? EMPTY;
    const removed = cds ? removedNames(cds.sent, newClusters) : [];
    // Keep removed clusters until listeners and routes stop naming them, then drop them.
    const retained = removed.length === 0 ? newClusters : new Map([...newClusters, ...removed.map((n) => [n, cds!.sent.get(n)!] as const)]);
    for (const typeUrl of PUSH_ORDER) {
      if (typeUrl === TYPE_URLS.listener && this.holdingReferrers(view)) return;
      if (!this.sendType(typeUrl, typeUrl === TYPE_URLS.cluster ? retained : view.resources.get(typeUrl) ?? EMPTY, ctx)) return;
    }
    if (removed.length > 0) this.sendType(TYPE_URLS.cluster, newClusters, ctx);
  }

  /**
   * Sends the type's response if it changed; false when the global budget holds it back, and the
   * push must stop (resumed later, what was sent is not sent again: its hash is recorded).
   */
  private sendType(typeUrl: TypeUrl, available: Available, ctx: PushContext): boolean {
    const st = this.states.get(typeUrl);
    if (!st) return true;
    const started = performance.now();
    const list = st.chosen(available);
    // A forced name is sent when the list holds it: in the view, and subscribed to.
    const forced = st.forced.size > 0 && [...st.forced].some((n) => available.has(n) && (st.wildcard || st.subscribed.has(n)));
    if (st.sentHash === list.hash && !forced) {
      // The proxy holds this very list: later changes (and removals) are counted from these parts.
      st.sent = list.asMap;
      if (st.synced) st.synced = partsOf(available);
      return true;
    }
    // Nothing to say yet about names that do not exist: they are remembered and sent when they appear.
    if (st.sentHash === undefined && list.size === 0 && !isRootType(typeUrl)) return true;
    // The version names the whole list the proxy holds once it takes this response, whatever the
    // response carries, so an ACK or a reconnect is compared against the whole.
    const version = `${ctx.view.generation}-${list.hash}`;
    const changes = this.changesOnly(typeUrl, st, available, list.size);
    const carried = changes ?? list.resources;
    const nonce = this.nextNonce();
    const response = new ResponseBytes(sotwPieces(typeUrl, version, nonce, changes ? [sotwResources(changes)] : list.chunks));
    if (!this.admit(response.byteLength)) return false;
    if (typeUrl === TYPE_URLS.cluster) this.forceWarming(st.sent, list.resources, ctx.view);
    if (typeUrl === TYPE_URLS.endpoint) this.endpointsSent(carried.map((r) => r.name));
    st.sent = list.asMap;
    st.sentHash = list.hash;
    st.synced = CHANGES_ONLY.has(typeUrl) ? partsOf(available) : undefined;
    st.sentVersion = version;
    st.nonce = nonce;
    st.sentAt = new Date();
    st.forced.clear();
    this.write(typeUrl, response, started, nonce, ctx);
    return true;
  }

  /**
   * What an EDS or RDS response must carry when the proxy holds the list last sent (`synced`):
   * the names that changed in the view's parts since (part-diff.ts: recorded once per part, not
   * per stream) and the forced ones (newly requested, clusters that must warm), in name order.
   * Undefined when only the whole list will do: another type, a wildcard subscription (Envoy
   * takes a wildcard response as the whole state), nothing certain to count from (first
   * response, a NACK, a part appearing or going or moved on by more than one step), or when the
   * changes are the whole list anyway.
   */
  private changesOnly(typeUrl: TypeUrl, st: SotwTypeState, available: Available, whole: number): EncodedResource[] | undefined {
    if (!CHANGES_ONLY.has(typeUrl) || st.wildcard || !st.synced) return undefined;
    const names = namesChangedSince(st.synced, available);
    if (!names) return undefined;
    for (const n of st.forced) names.add(n);
    const out: EncodedResource[] = [];
    for (const n of names) {
      const r = st.subscribed.has(n) ? available.get(n) : undefined;
      if (r) out.push(r);
    }
    // Names removed from the view or the subscription leave nothing to carry: the response then
    // holds no resource and tells the proxy the new version (Envoy accepts it and changes nothing).
    return out.length === whole ? undefined : out.sort(byName);
  }

  /** A new or changed cluster stays warming until Envoy gets a new EDS response for it. */
  private forceWarming(before: Available, after: readonly EncodedResource[], view: ProxyView): void {
    const eds = this.states.get(TYPE_URLS.endpoint);
    if (!eds) return;
    if (eds.sentHash !== undefined) for (const c of after) if (before.get(c.name)?.version !== c.version) eds.forced.add(c.name);
    this.clustersAdded(after.filter((c) => !before.has(c.name)).map((c) => c.name), view);
  }

  status() {
    return this.baseStatus([...this.states].map(([typeUrl, st]) => ({
      type: SHORT_TYPE[typeUrl] ?? typeUrl,
      subscribed: [...st.subscribed],
      wildcard: st.wildcard,
      sentVersion: st.sentVersion,
      sentNonce: st.nonce,
      sentAt: st.sentAt?.toISOString(),
      sentCount: st.sent.size,
      ackedVersion: st.ackedVersion,
      ackedAt: st.ackedAt?.toISOString(),
      lastNack: st.nack,
    })));
  }
}
