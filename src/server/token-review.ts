// Bearer tokens checked by the API server, as Kubernetes' own components check theirs: a
// TokenReview says whose a token is (k8s.io/apiserver pkg/authentication/token/webhook), and its
// answer is cached for a while (pkg/authentication/token/cache). Proxies prove who they are with
// projected service-account tokens (audience `istio-ca`, as Istio's sidecars send them); people
// reading /debug with any token the API server accepts (debug-access.ts).
import { AuthenticationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import { decodeJwt } from 'jose';
import type { ProvenIdentity, Refusal, XdsAuthenticator } from '../xds/authn';

/** Who the API server says a token belongs to (TokenReview `status.user`, `status.audiences`). */
export interface ReviewedUser {
  username: string;
  uid?: string;
  groups: string[];
  extra: Record<string, string[]>;
  audiences: string[];
}

export type Review = { user: ReviewedUser } | { error: string };

export interface TokenReviewerOptions {
  /** Longest an accepted token's review is reused (it is never reused past the token's `exp`). */
  maxCacheMs?: number;
  /** How long a refusal is reused: a proxy redialling with an expired token every 2 s must not cost a review each time. */
  refusalCacheMs?: number;
  /** Reviews kept at most; the oldest go first. */
  maxEntries?: number;
}

/** Kubernetes' `pod-name` extra on a Pod-bound token (pkg/serviceaccount/claims.go). */
export const POD_NAME_EXTRA = 'authentication.kubernetes.io/pod-name';

const SA_USER = /^system:serviceaccount:([^:]+):([^:]+)$/;

/** When a JWT says it expires (ms since the epoch), if it is one and says so. */
function expiresAt(token: string): number | undefined {
  try {
    const { exp } = decodeJwt(token);
    return typeof exp === 'number' ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reviews bearer tokens with the API server's TokenReview (authentication.k8s.io/v1), for the
 * audiences given, caching each answer by the token's SHA-256: an acceptance until the token's
 * `exp` or `maxCacheMs`, whichever is first; a refusal for `refusalCacheMs`. Concurrent reviews of
 * one token share one request. As an XdsAuthenticator it proves a service account (and the Pod a
 * bound token names); a review the API server could not answer throws (the stream is refused
 * UNAVAILABLE, so the proxy retries).
 */
export class TokenReviewer {
  private readonly cache = new Map<string, { review: Review; until: number }>();
  private readonly inflight = new Map<string, Promise<Review>>();
  private readonly api: AuthenticationV1Api;

  constructor(kc: KubeConfig, private readonly o: TokenReviewerOptions = {}) {
    this.api = kc.makeApiClient(AuthenticationV1Api);
  }

  /**
   * The API server's verdict on `token` for `audiences` (empty: the API server's own). Throws when
   * the review could not be made (the caller answers "unavailable", never "refused").
   */
  async review(token: string, audiences: string[]): Promise<Review> {
    const key = createHash('sha256').update(JSON.stringify(audiences)).update('\n').update(token).digest('hex');
    const now = Date.now();
    const hit = this.cache.get(key);
    if (hit && hit.until > now) return hit.review;
    const pending = this.inflight.get(key) ?? this.ask(key, token, audiences);
    this.inflight.set(key, pending);
    return pending;
  }

  private async ask(key: string, token: string, audiences: string[]): Promise<Review> {
    try {
      const { status } = await this.api.createTokenReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, audiences } } });
      const user = status?.user;
      const review: Review = status?.authenticated && user?.username
        ? { user: { username: user.username, uid: user.uid, groups: user.groups ?? [], extra: user.extra ?? {}, audiences: status.audiences ?? [] } }
        : { error: status?.error || 'not authenticated' };
      const exp = expiresAt(token);
      const ttl = 'user' in review ? (this.o.maxCacheMs ?? 5 * 60_000) : (this.o.refusalCacheMs ?? 10_000);
      const until = Math.min(Date.now() + ttl, exp ?? 0);
      if (until > Date.now()) this.remember(key, review, until);
      return review;
    } finally {
      this.inflight.delete(key);
    }
  }

  private remember(key: string, review: Review, until: number): void {
    const now = Date.now();
    for (const [k, v] of this.cache) if (v.until <= now) this.cache.delete(k);
    const max = this.o.maxEntries ?? 10_000;
    for (const k of this.cache.keys()) {
      if (this.cache.size < max) break;
      this.cache.delete(k);
    }
    this.cache.set(key, { review, until });
  }
}

/**
 * xDS authentication in Kubernetes mode: the stream's token must be a service account's,
 * accepted by the API server for `audience` and bound to a Pod (what kubelet projects); it
 * proves that namespace, service account and Pod.
 */
export function tokenReviewAuthenticator(reviewer: TokenReviewer, audience: string): XdsAuthenticator {
  return {
    async authenticate(token): Promise<ProvenIdentity | Refusal> {
      const denied = (why: string): Refusal => ({ refused: why, code: 'denied' });
      if (token === undefined) return denied('no token (authorization: Bearer ...) was sent');
      const review = await reviewer.review(token, [audience]);
      if ('error' in review) return denied(`the API server did not accept the token for audience ${audience}: ${review.error}`);
      const { username, extra, audiences } = review.user;
      if (!audiences.includes(audience)) return denied(`the token is not for audience ${audience}`);
      const sa = SA_USER.exec(username);
      if (!sa) return denied(`the token is ${username}'s, not a service account's`);
      const pod = extra[POD_NAME_EXTRA]?.[0];
      if (!pod) return denied('the token is not bound to a Pod (kubelet projects Pod-bound tokens: a serviceAccountToken volume)');
      return { namespace: sa[1] as string, serviceAccount: sa[2] as string, pod, by: 'TokenReview' };
    },
  };
}
