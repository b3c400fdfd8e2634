// One Kubernetes-mode mesh for a whole test file: started before its first test, stopped (with
// every process and temp dir) after its last, even when a test fails.
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { Mesh, randomOctet } from '../../harness/mesh';
import { cleanup } from '../../harness/processes';
import { kubeBackend } from './backend';

export function kubeMeshPerFile(): () => Mesh {
  let mesh: Mesh | undefined;
  before(async () => {
    mesh = await Mesh.start({ backend: kubeBackend, octet: randomOctet() });
  });
  after(async () => {
    await mesh?.stop();
    await cleanup();
  });
  return () => {
    assert.ok(mesh, 'the mesh did not start');
    return mesh;
  };
}
