// Admission decisions for every Istio kind Mast reads (networking, security and telemetry; the
// rules in manifests/webhook.yaml), made by the same parse + validate code the ConfigStore runs
// (parseObject), so `kubectl apply` refuses exactly what the store would not admit; and by the
// same check the view cache makes before anything is sent (MAST4001, and MAST4002/4004 for an
// EnvoyFilter: what Envoy would reject, src/xds/envoy-check.ts), run on the proxies the object
// shapes in the mesh as it would be with the object in it.
//
// Only a finding about the object alone denies it. Findings that need other objects (a subset no
// DestinationRule defines yet) come back as admission warnings, which kubectl prints: one
// `kubectl apply -f` of a file listing the VirtualService before its DestinationRule must work,
// and such a route only fails (503) until the subset exists, as in Istio.
import { formatFieldDiagnostic, type MeshObject, type Snapshot } from '../model';
import { parseObject } from '../model/parse/object';
import { isRecord } from '../model/parse/read';
import { reservedPortFindings } from '../model/proxy-ports';
import { subsetReferenceErrors } from '../model/validate/references';
import { envoyFindings, findingsAbout, proxiesShapedBy } from '../xds/envoy-check';

/** The mesh an admission is decided against: as it is, and as it would be with one object changed. */
export interface AdmissionWorld {
  snapshot: Snapshot;
  preview(object: MeshObject): Snapshot;
}

/** The part of an admission.k8s.io/v1 AdmissionRequest the decision needs. */
export interface AdmissionRequest {
  uid: string;
  kind?: { group?: string; version?: string; kind?: string };
  resource?: { group?: string; version?: string; resource?: string };
  namespace?: string;
  name?: string;
  operation?: string;
  object?: unknown;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { code: number; reason: string; message: string };
  warnings?: string[];
}

function apiPath(req: AdmissionRequest, name: string): string {
  const r = req.resource;
  return `/apis/${r?.group}/${r?.version}/namespaces/${req.namespace}/${r?.resource}/${name}`;
}

/**
 * Fills in what the apiserver knows but the submitted object may lack: the namespace of the
 * request, and for generateName a stand-in name (the real one is chosen after admission).
 */
function completed(req: AdmissionRequest): { raw: unknown; name: string } {
  if (!isRecord(req.object)) return { raw: req.object, name: req.name ?? '' };
  const metadata = isRecord(req.object.metadata) ? req.object.metadata : {};
  const name = req.name || (typeof metadata.name === 'string' && metadata.name) || `${String(metadata.generateName ?? '')}generated`;
  return { raw: { ...req.object, metadata: { ...metadata, name, namespace: req.namespace ?? metadata.namespace } }, name };
}

/**
 * The admission decision for one AdmissionRequest (admission.k8s.io/v1): denied (422, every error
 * finding as `field: CODE message`) when the object has an error finding of its own, or when Envoy
 * would reject what it becomes in the mesh (MAST4001); allowed with warnings for findings that
 * depend on other objects or only warn (a missing subset, a Gateway port the proxy keeps).
 */
export function review(req: AdmissionRequest, world: AdmissionWorld): AdmissionResponse {
  const { snapshot } = world;
  const { raw, name } = completed(req);
  const parsed = parseObject(raw, { apiPath: apiPath(req, name) }, { domain: snapshot.domain, rootNamespace: snapshot.rootNamespace });
  const errors = parsed.diagnostics.filter((d) => d.severity === 'error');
  const warnings = parsed.diagnostics.filter((d) => d.severity !== 'error');
  if (parsed.object?.kind === 'VirtualService') {
    warnings.push(...subsetReferenceErrors(parsed.object, (host, ns) => snapshot.destinationRuleFor(host, ns), snapshot.domain));
  }
  if (parsed.object?.kind === 'Gateway') warnings.push(...reservedPortFindings(parsed.object));
  if (parsed.object && errors.length === 0) {
    const preview = world.preview(parsed.object);
    const proxies = proxiesShapedBy(parsed.object, preview);
    // Errors (what Envoy would reject) deny; warnings (an EnvoyFilter patch that finds nothing to patch) warn.
    const found = proxies.length > 0 ? findingsAbout(envoyFindings(preview, proxies), parsed.object) : [];
    errors.push(...found.filter((d) => d.severity === 'error'));
    warnings.push(...found.filter((d) => d.severity !== 'error'));
  }
  const response: AdmissionResponse = { uid: req.uid, allowed: errors.length === 0 };
  if (errors.length) {
    const what = `${req.kind?.kind ?? 'object'} ${req.namespace}/${name}`;
    response.status = { code: 422, reason: 'Invalid', message: `${what} is invalid: ${errors.map(formatFieldDiagnostic).join('; ')}` };
  }
  if (warnings.length) response.warnings = warnings.map(formatFieldDiagnostic);
  return response;
}
