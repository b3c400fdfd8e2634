// Istio's protocol selection for a Service port lives in the model (src/model/port-protocol.ts),
// where validation needs it too (which ports an AuthorizationPolicy meets as TCP).
export { isHttp, portProtocol, type Protocol } from '../model/port-protocol';
