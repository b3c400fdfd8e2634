// The route table inside each inbound HTTP filter chain: everything to the app's own port.
// Inline rather than RDS, since it depends on nothing a VirtualService can change. It is part of
// the listener, so it names no sources: the listener's own (beside it) say which Services made it.
import type { EnvoyJson } from '../types';
import { inboundClusterName } from '../names';
import { NO_TIMEOUT } from './action';
import { routeConfiguration } from './route-configuration';

export function inboundRouteConfig(targetPort: number): EnvoyJson {
  const cluster = inboundClusterName(targetPort);
  return routeConfiguration(cluster, [
    {
      name: `inbound|http|${targetPort}`,
      domains: ['*'],
      routes: [{ name: 'default', match: { prefix: '/' }, route: { cluster, timeout: NO_TIMEOUT } }],
      sources: [],
    },
  ]).json;
}
