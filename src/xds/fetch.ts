// The unary Fetch* calls of the per-type services (CDS/EDS/LDS/RDS/SDS): one response with what
// the proxy would be sent now, under the same authentication as a stream (server.ts). Secrets are
// never among them: a proxy's view of the Secret type exists only on its own stream.
import * as grpc from '@grpc/grpc-js';
import type { DiscoveryRequest__Output } from '../../proto/gen/envoy/service/discovery/v3/DiscoveryRequest';
import { admit, isRefusal, mismatch, refusalStatus, type XdsAuthenticator } from './authn';
import { proxyOf, resolveIdentity } from './identity';
import { DEFAULT_XDS_LIMITS, LimitExceeded, checkNames } from './limits';
import type { XdsServerOptions } from './server';
import type { TypeUrl } from './types';
import { sotwResources, sotwResponse } from './wire';

export interface FetchCall {
  call: grpc.ServerUnaryCall<DiscoveryRequest__Output, Buffer>;
  /** The listener's authenticator; undefined on an open one. */
  authenticator: XdsAuthenticator | undefined;
  typeUrl: TypeUrl;
  cb: grpc.sendUnaryData<Buffer>;
  /** Logs a refusal, naming the proxy and why. */
  refused(proxyId: string, reason: string): void;
}

/**
 * Answers one Fetch: INVALID_ARGUMENT without a node, RESOURCE_EXHAUSTED for more or longer names
 * than a stream may subscribe to of a type (limits.ts), PERMISSION_DENIED (or UNAVAILABLE) when the
 * token does not prove the proxy it names, else a DiscoveryResponse of the requested names (all,
 * when none or `*`) of the proxy's view, empty for a proxy whose Pod is not known yet where one
 * is required.
 */
export async function fetchResources(opts: XdsServerOptions, { call, authenticator, typeUrl, cb, refused }: FetchCall): Promise<void> {
  const req = call.request;
  const proxy = req.node ? proxyOf(req.node) : { error: 'a fetch must carry the node' };
  if ('error' in proxy) {
    cb({ code: grpc.status.INVALID_ARGUMENT, details: proxy.error });
    return;
  }
  try {
    checkNames(opts.limits ?? DEFAULT_XDS_LIMITS, typeUrl, req.resource_names, () => req.resource_names.length, 0);
  } catch (err) {
    if (!(err instanceof LimitExceeded)) throw err;
    refused(proxy.id, err.message);
    cb({ code: err.code, details: err.message });
    return;
  }
  if (authenticator) {
    const proof = await admit(authenticator, call.metadata);
    const refusal = isRefusal(proof) ? proof : { refused: mismatch(proof, resolveIdentity(proxy, opts.snapshot()), opts.requirePod) ?? '', code: 'denied' as const };
    if (refusal.refused) {
      refused(proxy.id, refusal.refused);
      cb({ code: refusalStatus(refusal), details: refusal.refused });
      return;
    }
  }
  const snapshot = opts.snapshot();
  opts.views.setSnapshot(snapshot);
  const { proxy: resolved, pod } = resolveIdentity(proxy, snapshot);
  const available = !pod && opts.requirePod ? undefined : opts.views.viewFor(resolved).resources.get(typeUrl);
  // A set: a list's `includes` for each resource costs resources x names.
  const names = new Set(req.resource_names.filter((n) => n !== '*'));
  const chosen = [...(available?.values() ?? [])].filter((r) => names.size === 0 || names.has(r.name));
  cb(null, sotwResponse(typeUrl, String(snapshot.generation), '', [sotwResources(chosen)]));
}
