// The Istio fields Mast implements, per kind. A listed field covers everything below it; any other
// field Istio knows draws a MAST1008 "not supported yet" warning, so nobody mistakes an ignored
// field for a working one. Whoever implements a field in translate/ adds it here.
//
// `[]` stands for every item of a list.
import type { TranslatedIstioKind } from './parse/istio-schema';

export const SUPPORTED_FIELDS: Record<TranslatedIstioKind, readonly string[]> = {
  VirtualService: [
    'spec.hosts',
    'spec.gateways',
    'spec.exportTo',
    'spec.http[].name',
    'spec.http[].match[].uri',
    'spec.http[].match[].headers',
    'spec.http[].match[].port',
    'spec.http[].match[].gateways',
    'spec.http[].match[].ignoreUriCase',
    'spec.http[].match[].name',
    'spec.http[].route[].destination.host',
    'spec.http[].route[].destination.subset',
    'spec.http[].route[].destination.port.number',
    'spec.http[].route[].weight',
    'spec.http[].route[].headers',
    'spec.http[].timeout',
    'spec.http[].retries',
    'spec.http[].rewrite',
    'spec.http[].fault',
    'spec.http[].mirror',
    'spec.http[].mirrorPercentage',
    'spec.http[].headers',
    // Implemented in src/translate/routes/ (appended by the translate engineer).
    'spec.http[].match[].method',
    'spec.http[].match[].authority',
    'spec.http[].match[].scheme',
    'spec.http[].match[].queryParams',
    'spec.http[].match[].withoutHeaders',
    'spec.http[].match[].sourceLabels',
    'spec.http[].match[].sourceNamespace',
    'spec.http[].mirrors',
    'spec.http[].redirect.uri',
    'spec.http[].redirect.authority',
    'spec.http[].redirect.port',
    'spec.http[].redirect.scheme',
    'spec.http[].redirect.redirectCode',
    'spec.http[].directResponse',
    'spec.http[].corsPolicy',
  ],
  DestinationRule: [
    'spec.host',
    'spec.exportTo',
    'spec.subsets[].name',
    'spec.subsets[].labels',
    'spec.trafficPolicy.loadBalancer.simple',
    'spec.trafficPolicy.connectionPool',
    'spec.trafficPolicy.outlierDetection',
    // Implemented in src/translate/traffic-policy/ (appended by the translate engineer).
    'spec.trafficPolicy.portLevelSettings[].port',
    'spec.trafficPolicy.portLevelSettings[].loadBalancer.simple',
    'spec.trafficPolicy.portLevelSettings[].connectionPool',
    'spec.trafficPolicy.portLevelSettings[].outlierDetection',
    'spec.subsets[].trafficPolicy.loadBalancer.simple',
    'spec.subsets[].trafficPolicy.connectionPool',
    'spec.subsets[].trafficPolicy.outlierDetection',
    'spec.subsets[].trafficPolicy.portLevelSettings[].port',
    'spec.subsets[].trafficPolicy.portLevelSettings[].loadBalancer.simple',
    'spec.subsets[].trafficPolicy.portLevelSettings[].connectionPool',
    'spec.subsets[].trafficPolicy.portLevelSettings[].outlierDetection',
  ],
  // The security kinds (src/policy/): each field is reported as not supported (MAST1008) until
  // its translation lands.
  PeerAuthentication: [],
  AuthorizationPolicy: [],
  RequestAuthentication: [],
  Gateway: [
    'spec.selector',
    'spec.servers[].port.number',
    'spec.servers[].port.name',
    'spec.servers[].port.protocol',
    'spec.servers[].hosts',
    'spec.servers[].name',
  ],
};
