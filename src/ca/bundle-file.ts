// The trust bundle as a file, for what reaches Mast over TLS in file mode: a proxy's bootstrap
// names it (`mast bootstrap --xds-ca STATE_DIR/root-cert.pem`), as a Pod mounts `ca.crt` of the
// mast-ca Secret in Kubernetes mode. Istio's name for the file (root-cert.pem); it holds every
// root proxies must trust now, so during a rotation's overlap it holds both, and it is public
// (0644: certificates only), rewritten in one step whenever the bundle changes.
import { renameSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Logger } from '../model';
import type { MeshCa } from './mesh-ca';

export const BUNDLE_FILE = 'root-cert.pem';

/** Writes `stateDir/root-cert.pem` now (if the CA is loaded) and after every bundle change; returns a function that stops it. */
export function keepBundleFile(ca: MeshCa, stateDir: string, log: Logger): () => void {
  const file = path.join(stateDir, BUNDLE_FILE);
  const write = (): void => {
    const pem = ca.bundlePem;
    if (!pem) return;
    const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      writeFileSync(tmp, pem, { mode: 0o644 });
      renameSync(tmp, file);
    } catch (err) {
      log.error({ file, err: err instanceof Error ? err.message : String(err) }, `cannot write the trust bundle proxies read (${file})`);
    }
  };
  write();
  return ca.onChange((change) => {
    if (change.bundle) write();
  });
}
