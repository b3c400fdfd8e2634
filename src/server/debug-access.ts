// Who may read /debug/* in Kubernetes mode: what Kubernetes' own components ask of their debug and
// metrics endpoints (k8s.io/apiserver pkg/server/options DelegatingAuthentication/Authorization):
// a bearer token the API server accepts (TokenReview, its own audiences), and a
// SubjectAccessReview that lets that user `get` the endpoint's path as a non-resource URL.
// RBAC grants it with `nonResourceURLs: ["/debug/*"], verbs: [get]` (the `mast-debug` ClusterRole
// in manifests/rbac.yaml). /healthz, /readyz and /metrics stay open.
import { AuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { bearerOf } from '../xds/authn';
import type { TokenReviewer } from './token-review';

/** Why a request is refused: 401 (no or bad token), 403 (not allowed) or 503 (could not ask). */
export interface DebugRefusal {
  status: 401 | 403 | 503;
  reason: string;
}

/** Checks one request: its `authorization` header and the route's path (`/debug/config_dump`). */
export type DebugAccess = (authorization: string | undefined, path: string) => Promise<DebugRefusal | undefined>;

/** How long an allow or deny is reused: the delegating authorizer's defaults (10 s each). */
const DECISION_CACHE_MS = 10_000;

/**
 * The /debug guard of Kubernetes mode: the bearer token reviewed by `reviewer` (any audience the
 * API server accepts), then a SubjectAccessReview for that user, its groups and extras: `get` on
 * the path as a non-resource URL. Decisions are reused for 10 s per token and path.
 */
export function debugAccess(kc: KubeConfig, reviewer: TokenReviewer): DebugAccess {
  const sar = kc.makeApiClient(AuthorizationV1Api);
  const decisions = new Map<string, { allowed: boolean; reason: string; until: number }>();
  return async (authorization, path) => {
    const token = bearerOf(authorization);
    if (!token) return { status: 401, reason: `${path} needs a bearer token (authorization: Bearer ...) the API server accepts` };
    let review;
    try {
      review = await reviewer.review(token, []);
    } catch (err) {
      return { status: 503, reason: `the token could not be checked: ${err instanceof Error ? err.message : String(err)}` };
    }
    if ('error' in review) return { status: 401, reason: `the API server did not accept the token: ${review.error}` };
    const { username, uid, groups, extra } = review.user;
    const key = JSON.stringify([username, uid, groups, extra, path]);
    const now = Date.now();
    for (const [k, v] of decisions) if (v.until <= now) decisions.delete(k);
    let decision = decisions.get(key);
    if (!decision) {
      try {
        const { status } = await sar.createSubjectAccessReview({
          body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { user: username, uid, groups, extra, nonResourceAttributes: { path, verb: 'get' } } },
        });
        decision = { allowed: status?.allowed === true && status.denied !== true, reason: status?.reason ?? '', until: now + DECISION_CACHE_MS };
      } catch (err) {
        return { status: 503, reason: `access could not be checked: ${err instanceof Error ? err.message : String(err)}` };
      }
      decisions.set(key, decision);
    }
    if (decision.allowed) return undefined;
    return { status: 403, reason: `${username} may not get ${path}${decision.reason ? ` (${decision.reason})` : ''}: grant get on the nonResourceURL (ClusterRole mast-debug)` };
  };
}
