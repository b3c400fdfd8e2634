// The route table inside each inbound HTTP filter chain: everything to the app's own port.
// Inline rather than RDS, since it depends on nothing a VirtualService can change.
import type { ObjectRef } from '../../model/types';
import type { EnvoyJson } from '../types';
import { inboundClusterName } from '../names';
import { NO_TIMEOUT } from './action';
import { provenance } from '../provenance';
import { routeConfiguration } from './route-configuration';

export function inboundRouteConfig(targetPort: number, sources: readonly ObjectRef[]): EnvoyJson {
  const cluster = inboundClusterName(targetPort);
  return routeConfiguration(cluster, [
    {
      name: `inbound|http|${targetPort}`,
      domains: ['*'],
      routes: [{ name: 'default', match: { prefix: '/' }, route: { cluster, timeout: NO_TIMEOUT }, metadata: provenance(sources) }],
      sources,
    },
  ]).json;
}
