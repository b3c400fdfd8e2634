// The Istio fields Mast implements, per kind. A listed field covers everything below it; any other
// field Istio knows draws a MAST1008 "not supported yet" warning, so nobody mistakes an ignored
// field for a working one. Whoever implements a field in translate/ adds it here.
//
// `[]` stands for every item of a list.
import type { TranslatedIstioKind } from './parse/istio-schema';

/** The ClientTLSSettings fields Mast translates, under `at` (credentialName: policy/mtls/upstream-tls.ts). */
function clientTlsFields(at: string): string[] {
  return ['mode', 'clientCertificate', 'privateKey', 'caCertificates', 'caCrl', 'subjectAltNames', 'sni', 'insecureSkipVerify', 'credentialName'].map((f) => `${at}.${f}`);
}

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
    'spec.http[].match[].statPrefix',
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
    // src/model/delegation.ts: merged into the root as Istio's mergeVirtualServices does.
    'spec.http[].delegate',
    // TCP and TLS routes (src/translate/routes/l4-route.ts, listeners/tcp-routes.ts for sidecars,
    // listeners/tcp-gateway.ts for gateways). `sourceSubnet` is not translated (MAST1008).
    ...['spec.tcp[]', 'spec.tls[]'].flatMap((at) => [
      ...['port', 'gateways', 'sourceLabels', 'sourceNamespace', 'destinationSubnets'].map((f) => `${at}.match[].${f}`),
      `${at}.route[].destination.host`,
      `${at}.route[].destination.subset`,
      `${at}.route[].destination.port.number`,
      `${at}.route[].weight`,
    ]),
    'spec.tls[].match[].sniHosts',
  ],
  DestinationRule: [
    'spec.host',
    'spec.exportTo',
    // model/destination-rules.ts: a rule selecting a workload in its namespace wins there.
    'spec.workloadSelector',
    // traffic-policy/tunnel.ts: a sidecar's tcp_proxy tunneling_config (PortTrafficPolicy has none).
    'spec.trafficPolicy.tunnel',
    'spec.subsets[].trafficPolicy.tunnel',
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
    // Consistent hashing: the cluster's RING_HASH or MAGLEV (translate/traffic-policy/load-balancer.ts)
    // and the hash key on the routes to it (translate/routes/hash-policy.ts).
    ...['spec.trafficPolicy', 'spec.trafficPolicy.portLevelSettings[]', 'spec.subsets[].trafficPolicy', 'spec.subsets[].trafficPolicy.portLevelSettings[]'].map(
      (at) => `${at}.loadBalancer.consistentHash`,
    ),
    // Locality load balancing (translate/endpoints.ts with traffic-policy/locality*.ts: priorities
    // and weights per proxy locality) and slow start (traffic-policy/load-balancer.ts).
    ...['spec.trafficPolicy', 'spec.trafficPolicy.portLevelSettings[]', 'spec.subsets[].trafficPolicy', 'spec.subsets[].trafficPolicy.portLevelSettings[]'].flatMap(
      (at) => ['localityLbSetting', 'warmup', 'warmupDurationSecs'].map((f) => `${at}.loadBalancer.${f}`),
    ),
    // Client TLS (src/policy/mtls/): every ClientTLSSettings field.
    ...clientTlsFields('spec.trafficPolicy.tls'),
    ...clientTlsFields('spec.trafficPolicy.portLevelSettings[].tls'),
    ...clientTlsFields('spec.subsets[].trafficPolicy.tls'),
    ...clientTlsFields('spec.subsets[].trafficPolicy.portLevelSettings[].tls'),
  ],
  // The security kinds (src/policy/): each field is reported as not supported (MAST1008) until
  // its translation lands.
  // src/policy/mtls/: the whole kind.
  PeerAuthentication: ['spec.selector', 'spec.mtls', 'spec.portLevelMtls'],
  // src/policy/authorization/: every rule field and `when` key Istio's builder translates. A
  // CUSTOM action (its `provider` is not listed) and `experimental.envoy.filters.*` keys are
  // reported by validation (validate/authorization-policy.ts). `trustDomains` is in Istio's API at
  // the pinned revision, though not in the schema package's.
  AuthorizationPolicy: [
    'spec.selector',
    'spec.targetRef',
    'spec.targetRefs',
    'spec.action',
    'spec.rules[].from[].source.principals',
    'spec.rules[].from[].source.notPrincipals',
    'spec.rules[].from[].source.requestPrincipals',
    'spec.rules[].from[].source.notRequestPrincipals',
    'spec.rules[].from[].source.namespaces',
    'spec.rules[].from[].source.notNamespaces',
    'spec.rules[].from[].source.ipBlocks',
    'spec.rules[].from[].source.notIpBlocks',
    'spec.rules[].from[].source.remoteIpBlocks',
    'spec.rules[].from[].source.notRemoteIpBlocks',
    'spec.rules[].from[].source.serviceAccounts',
    'spec.rules[].from[].source.notServiceAccounts',
    'spec.rules[].from[].source.trustDomains',
    'spec.rules[].from[].source.notTrustDomains',
    'spec.rules[].to[].operation.hosts',
    'spec.rules[].to[].operation.notHosts',
    'spec.rules[].to[].operation.ports',
    'spec.rules[].to[].operation.notPorts',
    'spec.rules[].to[].operation.methods',
    'spec.rules[].to[].operation.notMethods',
    'spec.rules[].to[].operation.paths',
    'spec.rules[].to[].operation.notPaths',
    'spec.rules[].when[].key',
    'spec.rules[].when[].values',
    'spec.rules[].when[].notValues',
  ],
  // src/policy/request-authentication/: Istio's jwt_authn provider for each JWT rule.
  RequestAuthentication: [
    'spec.selector',
    'spec.targetRef',
    'spec.targetRefs',
    'spec.jwtRules[].issuer',
    'spec.jwtRules[].audiences',
    'spec.jwtRules[].jwks',
    'spec.jwtRules[].jwksUri',
    'spec.jwtRules[].fromHeaders',
    'spec.jwtRules[].fromParams',
    'spec.jwtRules[].fromCookies',
    'spec.jwtRules[].outputPayloadToHeader',
    'spec.jwtRules[].outputClaimToHeaders',
    'spec.jwtRules[].forwardOriginalToken',
    'spec.jwtRules[].spaceDelimitedClaims',
    'spec.jwtRules[].timeout',
  ],
  Gateway: [
    'spec.selector',
    'spec.servers[].port.number',
    'spec.servers[].port.name',
    'spec.servers[].port.protocol',
    'spec.servers[].hosts',
    'spec.servers[].name',
    // src/translate/gateway-tls.ts: HTTPS terminated with a credential over SDS; validate/gateway.ts
    // reports the modes it does not translate.
    'spec.servers[].tls.mode',
    'spec.servers[].tls.credentialName',
    'spec.servers[].tls.subjectAltNames',
    // gateway-tls.ts: an RSA and an ECDSA credential, and certificates from files on the gateway's
    // disk, over SDS under Istio's file-cert:/file-root: names (file-credentials.ts).
    'spec.servers[].tls.credentialNames',
    'spec.servers[].tls.serverCertificate',
    'spec.servers[].tls.privateKey',
    'spec.servers[].tls.caCertificates',
    'spec.servers[].tls.caCrl',
    'spec.servers[].tls.tlsCertificates',
    // gateway-tls.ts: Istio's applyServerTLSSettings for SIMPLE, MUTUAL and OPTIONAL_MUTUAL.
    'spec.servers[].tls.minProtocolVersion',
    'spec.servers[].tls.maxProtocolVersion',
    'spec.servers[].tls.cipherSuites',
    // routes/gateway.ts: an HTTP server's virtual hosts answer 301 to https (require_tls: ALL).
    'spec.servers[].tls.httpsRedirect',
  ],
  // src/model/service-entries.ts puts each host in the registry; translate/service-clusters.ts
  // makes its clusters by resolution; policy/mtls/cluster-tls.ts reads location and subjectAltNames.
  ServiceEntry: [
    'spec.hosts',
    'spec.addresses',
    'spec.ports',
    'spec.location',
    'spec.resolution',
    'spec.workloadSelector',
    'spec.exportTo',
    'spec.subjectAltNames',
    ...['address', 'ports', 'labels', 'serviceAccount', 'weight'].map((f) => `spec.endpoints[].${f}`),
  ],
  // An endpoint of the Services and ServiceEntries that select it (src/model/service-entries.ts).
  WorkloadEntry: ['spec.address', 'spec.ports', 'spec.labels', 'spec.serviceAccount', 'spec.weight'],
  // src/translate/envoy-filter/: which EnvoyFilters apply (select.ts) and their patches
  // (listener-patch.ts, route-config-patch.ts, cluster-patch.ts). `match.proxy` is read and matches
  // no proxy (MAST2066); EXTENSION_CONFIG ADDs are served over ECDS (extension-configs.ts);
  // MERGE_AND_REPLACE_LIST draws MAST1008 from validation.
  EnvoyFilter: [
    'spec.workloadSelector',
    'spec.targetRefs',
    'spec.priority',
    'spec.configPatches[].applyTo',
    'spec.configPatches[].match.context',
    'spec.configPatches[].match.proxy',
    'spec.configPatches[].match.listener',
    'spec.configPatches[].match.routeConfiguration',
    'spec.configPatches[].match.cluster',
    'spec.configPatches[].patch.operation',
    'spec.configPatches[].patch.value',
  ],
  // src/translate/sidecar-scope.ts: which Sidecar applies, and what its egress listeners let a
  // proxy see (clusters, endpoints, routes and listeners of those hosts alone).
  Sidecar: [
    'spec.workloadSelector',
    'spec.egress[].hosts',
    'spec.egress[].port',
    // src/translate/sidecar-ingress.ts: the inbound ports and where each goes.
    'spec.ingress[].port',
    'spec.ingress[].defaultEndpoint',
    // src/translate/outbound-traffic-policy.ts: the Sidecar's mode beats the mesh's.
    'spec.outboundTrafficPolicy.mode',
  ],
  // src/translate/telemetry/: which Telemetries apply (applicable.ts) and the access logs they
  // put on every HCM, tcp_proxy and listener (access-log.ts).
  Telemetry: [
    'spec.selector',
    'spec.targetRef',
    'spec.targetRefs',
    'spec.accessLogging[].providers',
    'spec.accessLogging[].disabled',
    'spec.accessLogging[].match',
    'spec.accessLogging[].filter',
    // tracing.ts: the HCM's tracing, by level and side.
    'spec.tracing[].providers',
    'spec.tracing[].match',
    'spec.tracing[].randomSamplingPercentage',
    'spec.tracing[].customTags',
    'spec.tracing[].disableSpanReporting',
  ],
};
