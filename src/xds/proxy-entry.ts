// One connected proxy's stream as the xDS server keeps it (its claims, proven identity, SDS
// interest), and the view it is served from a snapshot: identity re-checked, Pod required in
// Kubernetes mode, secrets added. Apart from server.ts, which holds the gRPC streams and pushes.
import type { Snapshot } from '../model/types';
import type { Proxy } from '../translate/types';
import { mismatch, type ProvenIdentity } from './authn';
import type { ProxyView } from './cache';
import type { Connection } from './connection';
import { resolveIdentity, type ResolvedIdentity } from './identity';
import type { XdsServerOptions } from './server';

/** A stream the server keeps (server.ts `connections`), from its first request until it ends. */
export interface Entry {
  conn: Connection;
  claimed: Proxy;
  podless?: boolean;
  /** What the stream proved; undefined on an open (unauthenticated) listener. */
  identity?: ProvenIdentity;
  /** Ends the stream with PERMISSION_DENIED when the proxy stops being that identity. */
  revoke(reason: string): void;
  /** The stream has asked for secrets: its view then holds its identity's. */
  sds?: boolean;
  /**
   * It came in on the open listener of a server that authenticates (`--insecure-xds`): it proved
   * nothing, so it is sent no gateway credentials (users' keys), as Istio sends no secrets to a
   * proxy without a verified identity (pilot/pkg/xds/sds.go).
   */
  insecure: boolean;
  /** Who it was found to be at the last push (entryView), reused while its Pod is unchanged. */
  resolved?: ResolvedIdentity;
}

/** What a proxy without a Pod is served: nothing, at the current generation. */
function emptyView(generation: number): ProxyView {
  return { generation, resources: new Map(), json: () => ({ clusters: [], endpoints: [], listeners: [], routes: [] }) };
}

/**
 * The proxy's view of `snapshot` (which it also makes the view cache's): its own, its identity's
 * secrets added once it asked for them; empty while `requirePod` finds no Pod for it; undefined
 * once it is no longer the identity it proved (the stream is then ended through `entry.revoke`).
 */
export function entryView(entry: Entry, snapshot: Snapshot, opts: Pick<XdsServerOptions, 'views' | 'requirePod' | 'log' | 'secrets'>): ProxyView | undefined {
  opts.views.setSnapshot(snapshot);
  const resolved = (entry.resolved = resolveIdentity(entry.claimed, snapshot, entry.resolved));
  const { proxy, pod } = resolved;
  entry.conn.proxy = proxy;
  const wrong = entry.identity && mismatch(entry.identity, resolved, opts.requirePod);
  if (wrong) {
    entry.revoke(wrong);
    return undefined;
  }
  const podless = !pod && opts.requirePod === true;
  if (podless !== (entry.podless ?? false)) {
    const fields = { proxy: proxy.id, ips: proxy.ips };
    if (podless) opts.log.warn(fields, `no Pod has the IPs of proxy ${proxy.id} (${proxy.ips.join(', ')}); serving it nothing until one does`);
    else if (entry.podless) opts.log.info(fields, `the Pod of proxy ${proxy.id} appeared; serving it`);
    entry.podless = podless;
  }
  if (podless) return emptyView(snapshot.generation);
  const view = opts.views.viewFor(proxy);
  return entry.sds && opts.secrets ? opts.secrets.viewFor(entry.conn.id, proxy, view, { credentials: !entry.insecure }) : view;
}
