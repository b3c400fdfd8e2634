// The SDS stack a test serves from, in process: Mast's own CA (or a plugged-in one, or a root
// rotation in progress), workload certificates with a lifetime the test picks (a second, where
// `mast serve` allows a minute at least) and the SDS secrets an XdsServer takes.
import { MeshCa, newCaState, pluggedInCa, pluggedInMaterial, rotateCaState, selfSignedMaterial, WorkloadCerts, type CaMaterial, type CaState, type PlugInFiles } from '../../src/ca';
import { silentLogger, type Logger } from '../../src/model/log';
import { SdsSecrets } from '../../src/xds/secrets';

export interface SdsStack {
  ca: MeshCa;
  certs: WorkloadCerts;
  secrets: SdsSecrets;
  close(): void;
}

export interface SdsStackOptions {
  trustDomain?: string;
  /** Workload certificate lifetime (ms) and grace fraction; 24 h and 0.5 by default. */
  ttlMs?: number;
  grace?: number;
  /** A plugged-in CA's files instead of a fresh root of Mast's own. */
  plugIn?: PlugInFiles;
  /** Mast's own CA state to start from (e.g. one rotateCaState made). */
  state?: CaState;
  log?: Logger;
}

export async function sdsStack(o: SdsStackOptions = {}): Promise<SdsStack> {
  const log = o.log ?? silentLogger;
  const ca = new MeshCa({ trustDomain: o.trustDomain ?? 'cluster.local', log });
  const material: CaMaterial = o.plugIn
    ? pluggedInMaterial(await pluggedInCa(o.plugIn, 'test'), 'test plug-in')
    : await selfSignedMaterial(o.state ?? (await newCaState()), 'test');
  ca.use(material);
  const certs = new WorkloadCerts(ca, { ttlMs: o.ttlMs, grace: o.grace, log });
  const secrets = new SdsSecrets(ca, certs, log);
  return {
    ca,
    certs,
    secrets,
    close() {
      certs.close();
      ca.close();
    },
  };
}

/** A state whose root is being rotated: the new root signs after `activateAfterMs`, the old one leaves after `overlapMs`. */
export async function rotatingState(activateAfterMs: number, overlapMs: number): Promise<CaState> {
  return rotateCaState(await newCaState(), { activateAfterMs, overlapMs });
}
