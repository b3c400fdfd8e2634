// A Pod as a mesh source lists it (mesh.ts reads the topology from Pods): its IP, labels, one
// container port, annotations and service account (its workload identity), Running and Ready, so
// both sources (files, a real API server) treat it as a live workload.

/** The YAML of one Pod; `port` is the app's container port (a gateway's listener port). */
export function podYaml(name: string, ip: string, labels: Record<string, string>, port: number, namespace = 'default', annotations: Record<string, string> = {}, serviceAccount?: string): string {
  return `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${namespace}, labels: ${JSON.stringify(labels)}, annotations: ${JSON.stringify(annotations)}}
spec: {${serviceAccount ? `serviceAccountName: ${serviceAccount}, ` : ''}containers: [{name: app, image: app, ports: [{containerPort: ${port}}]}]}
status: {phase: Running, podIP: ${ip}, podIPs: [{ip: ${ip}}], conditions: [{type: Ready, status: "True"}]}
`;
}

/** The ingress gateway's Pod: istio-ingressgateway-0 at 127.0.4.1 in istio-system, under Istio's chart's service account, its listener on `port`. */
export function ingressGatewayPod(port: number): string {
  return podYaml('istio-ingressgateway-0', '127.0.4.1', { app: 'istio-ingressgateway', istio: 'ingressgateway' }, port, 'istio-system', {}, 'istio-ingressgateway-service-account');
}
