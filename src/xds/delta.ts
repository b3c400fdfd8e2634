// Incremental (delta) ADS: responses carry only what changed and the names removed. See
// ../shared/xds-rules.md for the rules each branch below follows.
import type { DeltaDiscoveryRequest__Output } from '../../proto/gen/envoy/service/discovery/v3/DeltaDiscoveryRequest';
import { TYPE_URLS } from '../translate/types';
import type { ProxyView } from './cache';
import { Connection, type PushContext, type TypeStatus } from './connection';
import { namesChangedSince, partsOf } from './part-diff';
import { PUSH_ORDER, SHORT_TYPE, isRootType, type TypeUrl } from './types';
import { checkNames, namesBesides } from './limits';
import { KnownVersions } from './delta-known';
import { namesMadeFrom, sharedNames } from './shared-names';
import { byName } from './sotw-lists';
import { DeltaResponse } from './delta-response';
import type { EncodedResource } from './wire';

class DeltaTypeState {
  wildcard = false;
  /** Read-only and shared with every stream asking for the same names: replaced, never changed. */
  subscribed: ReadonlySet<string> = new Set<string>();
  /** What the client holds: name -> version, as we last sent it or as it told us on reconnect. */
  known = new KnownVersions();
  forced = new Set<string>();
  answered = false;
  nonce: string | undefined;
  sentAt: Date | undefined;
  ackedNonce: string | undefined;
  ackedAt: Date | undefined;
  nack: TypeStatus['lastNack'];
  /**
   * The part maps `known` was last brought in line with, both phases done, under the current
   * subscription; a push then needs to look only at the names that changed in those parts.
   * Undefined asks for a full comparison (new stream, subscription changed, a sync cut short).
   */
  synced: readonly ReadonlyMap<string, EncodedResource>[] | undefined;

  inScope(name: string): boolean {
    return this.wildcard || this.subscribed.has(name);
  }
}

const EMPTY = new Map<string, EncodedResource>();
const REMOVAL_ORDER = [TYPE_URLS.listener, TYPE_URLS.route, TYPE_URLS.cluster, TYPE_URLS.endpoint, TYPE_URLS.extensionConfig, TYPE_URLS.secret] as const;

type Phase = 'updates' | 'removals';

/** What one response of a type carries. */
interface Changes {
  changed: EncodedResource[];
  removed: string[];
}

export class DeltaConnection extends Connection {
  readonly transport = 'delta' as const;
  private readonly states = new Map<TypeUrl, DeltaTypeState>();
  private systemVersion = '';
  /**
   * Counts changes to what a response is computed from besides the view: subscriptions, what the
   * client holds, forced names (requests that change them, responses admitted).
   */
  private epoch = 0;
  /**
   * What the response the budget last refused was to carry, and what it was computed from. A
   * push stops at its first refused response, so there is at most one; the resumed push reaches
   * it after the types before it found nothing to send.
   */
  private refused: (Changes & { typeUrl: TypeUrl; phase: Phase; available: ReadonlyMap<string, EncodedResource>; epoch: number }) | undefined;

  onRequest(req: DeltaDiscoveryRequest__Output, view: ProxyView): void {
    const typeUrl = req.type_url as TypeUrl;
    let st = this.states.get(typeUrl);
    this.checkLimits(typeUrl, st, req);
    const first = !st;
    if (!st) {
      st = new DeltaTypeState();
      this.states.set(typeUrl, st);
      for (const [name, version] of Object.entries(req.initial_resource_versions ?? {})) st.known.set(name, version);
      // A first request that names nothing is the legacy wildcard subscription.
      if (req.resource_names_subscribe.length === 0) st.wildcard = true;
    }
    if (req.response_nonce !== '') this.onAnswer(typeUrl, st, req);
    // Subscription changes are honoured whatever the nonce says. A name the view holds is kept as
    // the resource's own string, shared by every stream, not the request's copy.
    const available = view.resources.get(typeUrl);
    // The set may be the base of `known` or another stream's subscription: a copy is changed
    // and, if it differs, replaces it.
    let subscribed: Set<string> | undefined;
    const initial = req.initial_resource_versions ?? {};
    // A first subscription to names, holding nothing: one a stream made from the same request
    // names (shared-names.ts) is taken as it is; nothing is forced, as the client holds nothing.
    const fresh = st.subscribed.size === 0 && st.known.size === 0 && req.resource_names_unsubscribe.length === 0;
    const made = fresh ? namesMadeFrom(req.resource_names_subscribe) : undefined;
    if (made) st.subscribed = made;
    else for (const name of req.resource_names_subscribe) {
      if (name === '*') st.wildcard = true;
      else {
        const own = available?.get(name)?.name ?? name;
        if (!st.subscribed.has(own) && !subscribed?.has(own)) (subscribed ??= new Set(st.subscribed)).add(own);
        // Newly requested names are sent even if unchanged, unless the client says it has them.
        // Only a name the client holds needs forcing: any other differs from the view's version.
        // (A sidecar's first EDS request names 1200 clusters; a set of them per stream waiting
        // for the budget was heap for nothing.)
        if (st.known.has(name) && !(name in initial)) st.forced.add(name);
      }
    }
    for (const name of req.resource_names_unsubscribe) {
      if (name === '*') st.wildcard = false;
      else if ((subscribed ?? st.subscribed).has(name)) (subscribed ??= new Set(st.subscribed)).delete(name);
    }
    const from = fresh && !st.wildcard ? req.resource_names_subscribe : undefined;
    if (subscribed) st.subscribed = sharedNames(subscribed, from);
    for (const name of req.resource_names_unsubscribe) {
      const still = name === '*' ? [...st.known.keys()].filter((n) => st.subscribed.has(n)) : st.inScope(name) ? [name] : [];
      // A name still covered by the other kind of subscription must be answered again.
      for (const n of still) st.forced.add(n);
      const dropped = name === '*' ? [...st.known.keys()].filter((n) => !st.inScope(n)) : st.inScope(name) ? [] : [name];
      for (const n of dropped) st.known.delete(n);
    }
    const subscriptionChanged = req.resource_names_subscribe.length > 0 || req.resource_names_unsubscribe.length > 0;
    if (subscriptionChanged) st.synced = undefined;
    if (first || subscriptionChanged) this.epoch++;
    if (first || subscriptionChanged) this.push(this.requested(view));
  }

  /** Throws LimitExceeded before a request's names (subscribed, or held from a past stream) are kept. */
  private checkLimits(typeUrl: TypeUrl, st: DeltaTypeState | undefined, req: DeltaDiscoveryRequest__Output): void {
    const others = namesBesides(this.states, typeUrl);
    if (!st) {
      const held = Object.keys(req.initial_resource_versions ?? {});
      checkNames(this.limits, typeUrl, held, () => held.length, others);
    }
    const subscribe = req.resource_names_subscribe;
    const before = st?.subscribed.size ?? 0;
    checkNames(this.limits, typeUrl, subscribe, () => subscribe.reduce((n, name) => (name !== '*' && !st?.subscribed.has(name) ? n + 1 : n), before), others);
  }

  private onAnswer(typeUrl: TypeUrl, st: DeltaTypeState, req: DeltaDiscoveryRequest__Output): void {
    if (req.error_detail) {
      st.nack = this.rejected(typeUrl, req.response_nonce, req.error_detail.message);
    } else if (req.response_nonce === st.nonce) {
      st.ackedNonce = req.response_nonce;
      st.ackedAt = new Date();
      this.acked(req.response_nonce);
    }
  }

  protected sync(ctx: PushContext): void {
    this.systemVersion = String(ctx.view.generation);
    // Per type, the names to look at: those that changed in the parts since the last sync, or
    // every name when that cannot be told.
    const scopes = new Map<TypeUrl, Set<string> | undefined>();
    for (const [typeUrl, st] of this.states) scopes.set(typeUrl, st.synced && namesChangedSince(st.synced, ctx.view.resources.get(typeUrl) ?? EMPTY));
    // Add bottom-up, remove top-down: updates go clusters first so nothing names a missing
    // cluster; removals go after every update, referrers first, so nothing loses a referent early.
    for (const typeUrl of PUSH_ORDER) {
      if (typeUrl === TYPE_URLS.listener && this.holdingReferrers(ctx.view)) return;
      if (!this.sendType(typeUrl, ctx.view.resources.get(typeUrl) ?? EMPTY, ctx, 'updates', scopes.get(typeUrl))) return;
    }
    for (const typeUrl of REMOVAL_ORDER) if (!this.sendType(typeUrl, ctx.view.resources.get(typeUrl) ?? EMPTY, ctx, 'removals', scopes.get(typeUrl))) return;
  }

  /**
   * Sends the type's changes (`updates`) or removals; false when the global budget holds the
   * response back and the push must stop. Nothing is recorded until the response is admitted.
   * The budget is asked with the response's size before its bytes are made (delta-response.ts),
   * and what it was to carry is kept for the stream's turn: the resumed push (from the newest
   * view) takes it as it is when nothing it was computed from has changed, else computes it again.
   */
  private sendType(typeUrl: TypeUrl, available: ReadonlyMap<string, EncodedResource>, ctx: PushContext, phase: Phase, scope: Set<string> | undefined): boolean {
    const st = this.states.get(typeUrl);
    if (!st) return true;
    const started = performance.now();
    const r = this.refused;
    const kept = r?.typeUrl === typeUrl && r.phase === phase && r.available === available && r.epoch === this.epoch ? r : undefined;
    const { changed, removed } = kept ?? this.changes(st, available, phase, scope);
    const mustAnswer = phase === 'updates' && !st.answered && isRootType(typeUrl) && st.wildcard;
    // Compared in full with a client that holds nothing, the response carries every resource of
    // `available` in scope: a first sync, the one every stream makes.
    const holdsNothing = phase === 'updates' && !scope && st.known.size === 0;
    if (changed.length === 0 && removed.length === 0 && !mustAnswer) return this.synced(st, available, phase);
    const nonce = this.nextNonce();
    // Sized, not made: a response the budget refuses costs no bytes.
    const response = new DeltaResponse(typeUrl, this.systemVersion, nonce, changed, removed);
    if (!this.admit(response.byteLength)) {
      this.refused = { typeUrl, phase, available, epoch: this.epoch, changed, removed };
      return false;
    }
    this.refused = undefined;
    this.epoch++;
    if (typeUrl === TYPE_URLS.cluster) this.forceWarming(st, changed, ctx.view);
    if (typeUrl === TYPE_URLS.endpoint) this.endpointsSent(changed.map((r) => r.name));
    // Taking the view as the base at once spares recording 2400 names one by one, only for the
    // removals phase to find each equal to the view and drop it again (delta-known.ts).
    if (holdsNothing) st.known.sentAll(available, st.wildcard, st.subscribed, changed.length);
    else for (const r of changed) st.known.set(r.name, r.version);
    if (st.forced.size > 0) for (const r of changed) st.forced.delete(r.name);
    for (const name of removed) st.known.delete(name);
    st.answered = true;
    st.nonce = nonce;
    st.sentAt = new Date();
    this.write(typeUrl, response.bytes(), started, nonce, ctx);
    return this.synced(st, available, phase);
  }

  /**
   * The type's phase is done. After the removals, every name that may differ from `available`
   * has been compared and sent or removed. (A method, not a closure made per call: under tsx,
   * which runs the benchmarks, each named closure also costs a defineProperty.)
   */
  private synced(st: DeltaTypeState, available: ReadonlyMap<string, EncodedResource>, phase: Phase): true {
    if (phase === 'removals') {
      st.synced = partsOf(available);
      st.known.rebase(available, st.wildcard, st.subscribed);
    }
    return true;
  }

  /** What the type's response must carry (`changed` in name order), compared over `scope` or, without one, every name. */
  private changes(st: DeltaTypeState, available: ReadonlyMap<string, EncodedResource>, phase: Phase, scope: Set<string> | undefined): Changes {
    const changed: EncodedResource[] = [];
    const removed: string[] = [];
    if (phase === 'updates') {
      const candidates = scope ? new Set([...scope, ...st.forced]) : st.wildcard ? available.keys() : st.subscribed.values();
      for (const name of candidates) {
        const r = available.get(name);
        if (r && st.inScope(name) && (st.known.get(name) !== r.version || st.forced.has(name))) changed.push(r);
      }
      changed.sort(byName);
    } else if (!st.known.holdsExactly(available)) {
      // Only names the client holds can be removed; a name that never existed is never reported.
      // (A client holding exactly `available`, as after a first sync, holds nothing to remove.)
      for (const name of scope ?? st.known.keys()) if (st.known.has(name) && !available.has(name) && st.inScope(name)) removed.push(name);
    }
    return { changed, removed };
  }

  /** A new or changed cluster stays warming until Envoy gets a new EDS response for it. */
  private forceWarming(cds: DeltaTypeState, changed: EncodedResource[], view: ProxyView): void {
    const eds = this.states.get(TYPE_URLS.endpoint);
    if (!eds) return;
    for (const c of changed) if (cds.known.has(c.name)) eds.forced.add(c.name);
    this.clustersAdded(changed.filter((c) => !cds.known.has(c.name)).map((c) => c.name), view);
  }

  status() {
    return this.baseStatus([...this.states].map(([typeUrl, st]) => ({
      type: SHORT_TYPE[typeUrl] ?? typeUrl,
      subscribed: [...st.subscribed],
      wildcard: st.wildcard,
      sentVersion: this.systemVersion,
      sentNonce: st.nonce,
      sentAt: st.sentAt?.toISOString(),
      sentCount: st.known.size,
      ackedVersion: st.ackedNonce === st.nonce ? this.systemVersion : undefined,
      ackedAt: st.ackedAt?.toISOString(),
      lastNack: st.nack,
    })));
  }
}
