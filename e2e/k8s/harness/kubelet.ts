// What a scheduler and a kubelet would do for a Pod, for a control plane that has neither: bind it
// to a Node (the EndpointSlice controller skips Pods whose Node does not exist) and write its
// status (IP, phase, conditions). The EndpointSlice controller then lists the Pod as it would in
// a real cluster.
import { CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions, type V1Pod, type V1PodCondition } from '@kubernetes/client-node';

/** The Node that `setPodStatus` binds unscheduled Pods to (made on first use). */
export const DEFAULT_NODE = 'mast-e2e-node';

export interface PodStatusOptions {
  podIP: string;
  ready: boolean;
  /** The Node to bind an unscheduled Pod to (default DEFAULT_NODE; made if missing). */
  nodeName?: string;
  /** Default Running. */
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
}

function isStatus(err: unknown, code: number): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: number }).code === code;
}

/**
 * Makes a Node with a Ready condition unless it exists. `labels` become the Node's labels (e.g.
 * `topology.kubernetes.io/zone`, which the EndpointSlice controller copies into each endpoint).
 */
export async function ensureNode(kc: KubeConfig, name = DEFAULT_NODE, labels: Record<string, string> = {}): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  try {
    await core.readNode({ name });
    return;
  } catch (err) {
    if (!isStatus(err, 404)) throw err;
  }
  try {
    await core.createNode({ body: { metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } } } });
  } catch (err) {
    if (!isStatus(err, 409)) throw err; // made meanwhile by a concurrent caller
  }
  const now = new Date();
  await core.patchNodeStatus(
    {
      name,
      body: {
        status: {
          conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'mast e2e harness', lastHeartbeatTime: now, lastTransitionTime: now }],
        },
      },
    },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}

/**
 * Sets a Pod's status as its kubelet would: binds it to a Node first if it has none, then PATCHes
 * the status subresource with the IP, the phase and the PodScheduled / Initialized /
 * ContainersReady / Ready conditions (and a running status per container). Returns the Pod.
 */
export async function setPodStatus(kc: KubeConfig, namespace: string, name: string, o: PodStatusOptions): Promise<V1Pod> {
  const core = kc.makeApiClient(CoreV1Api);
  let pod = await core.readNamespacedPod({ name, namespace });
  if (!pod.spec?.nodeName) {
    const nodeName = o.nodeName ?? DEFAULT_NODE;
    await ensureNode(kc, nodeName);
    await core.createNamespacedPodBinding({
      name,
      namespace,
      body: { apiVersion: 'v1', kind: 'Binding', metadata: { name, namespace }, target: { apiVersion: 'v1', kind: 'Node', name: nodeName } },
    });
    pod = await core.readNamespacedPod({ name, namespace });
  }
  const now = new Date();
  const phase = o.phase ?? 'Running';
  const cond = (type: string, status: boolean): V1PodCondition => ({
    type,
    status: status ? 'True' : 'False',
    lastTransitionTime: now,
    lastProbeTime: null as unknown as undefined, // as a kubelet writes it
  });
  const containers = pod.spec?.containers ?? [];
  const status = {
    phase,
    podIP: o.podIP,
    podIPs: [{ ip: o.podIP }],
    startTime: pod.status?.startTime ?? now,
    conditions: [cond('PodScheduled', true), cond('Initialized', true), cond('ContainersReady', o.ready), cond('Ready', o.ready)],
    containerStatuses: containers.map((c) => ({
      name: c.name,
      image: c.image ?? '',
      imageID: '',
      ready: o.ready,
      started: phase === 'Running',
      restartCount: 0,
      state: phase === 'Running' ? { running: { startedAt: now } } : { waiting: { reason: 'ContainerCreating' } },
    })),
  };
  return core.patchNamespacedPodStatus({ name, namespace, body: { status } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
}
