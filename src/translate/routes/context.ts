import type { Snapshot } from '../../model/types';
import type { HttpFilter } from '../filters/http-filter';

/** What route translation needs to know about where its routes will be used. */
export interface RouteContext {
  readonly snapshot: Snapshot;
  /** The port the traffic arrived on: the service port on a sidecar, the server port on a gateway. */
  readonly port: number;
  /** The gateways the routes serve, as resolved `gateways` entries name them: `mesh`, `ns/name`. */
  readonly gateways: ReadonlySet<string>;
  /** The proxy's own namespace and labels, for `sourceNamespace` and `sourceLabels` matches. */
  readonly sourceNamespace: string;
  readonly sourceLabels: Record<string, string>;
  /** The HTTP filters of the chain the routes serve; their per-route settings go on each route. */
  readonly filters: readonly HttpFilter[];
}
