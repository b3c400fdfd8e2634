// File mode's CA file: created owner-only in an owner-only directory, shared by two Masts that
// start together, picked up by a running Mast when `mast ca rotate` replaces it, and a plugged-in
// CA directory followed the same way.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { createCaStateFile, defaultStateDir, fingerprint, MeshCa, newCaState, readCaState, replaceCaStateFile, rotateCaState, startFileCa, stateFile } from '../../src/ca';
import { silentLogger } from '../../src/model/log';
import { makeUserCa, writePlugInDir } from '../support/plug-in-ca';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'mast-ca-'));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('the CA state file', () => {
  it('is created 0600 in a 0700 directory, whatever the umask', async () => {
    const old = process.umask(0o022);
    try {
      const dir = path.join(tmp(), 'state');
      const file = stateFile(dir);
      const { created } = createCaStateFile(file, await newCaState());
      assert.ok(created);
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.equal(statSync(dir).mode & 0o777, 0o700);
      assert.match(readCaState(file)!['ca.key']!, /BEGIN PRIVATE KEY/);
    } finally {
      process.umask(old);
    }
  });

  it('is created once when two Masts start together: the second adopts the first one\'s root', async () => {
    const file = stateFile(tmp());
    const [a, b] = [await newCaState(), await newCaState()];
    const first = createCaStateFile(file, a);
    const second = createCaStateFile(file, b);
    assert.deepEqual([first.created, second.created], [true, false]);
    assert.deepEqual(second.state, a);
  });

  it('defaults to $XDG_STATE_HOME/mast, else ~/.local/state/mast', () => {
    assert.equal(defaultStateDir({ XDG_STATE_HOME: '/var/lib/x' }), '/var/lib/x/mast');
    assert.equal(defaultStateDir({}), path.join(os.homedir(), '.local', 'state', 'mast'));
    assert.equal(defaultStateDir({ XDG_STATE_HOME: 'relative' }), path.join(os.homedir(), '.local', 'state', 'mast'), 'XDG says relative paths are ignored');
  });
});

describe('startFileCa', () => {
  it("creates Mast's root on first start, reuses it on the next, and follows a rotation written by another process", async () => {
    const stateDir = tmp();
    const ca = new MeshCa({ trustDomain: 'cluster.local', log: silentLogger });
    const src = await startFileCa(ca, { stateDir, log: silentLogger, pollMs: 50 });
    const root = fingerprint(ca.bundle[0]!);
    src.close();
    const again = new MeshCa({ trustDomain: 'cluster.local', log: silentLogger });
    const src2 = await startFileCa(again, { stateDir, log: silentLogger, pollMs: 50 });
    assert.equal(fingerprint(again.bundle[0]!), root, 'the same root after a restart');

    const file = stateFile(stateDir);
    replaceCaStateFile(file, await rotateCaState(readCaState(file)!, { activateAfterMs: 60_000, overlapMs: 120_000 }));
    assert.equal(statSync(file).mode & 0o777, 0o600, 'still owner-only after the rotation');
    const changed = new Promise((resolve) => again.onChange(resolve));
    assert.deepEqual(await Promise.race([changed, sleep(5000)]), { signer: false, bundle: true }, 'the new root is trusted, not yet signing');
    assert.equal(again.bundle.length, 2);
    src2.close();
    again.close();
    ca.close();
  });

  it('loads a plugged-in CA from --ca-dir, refuses an incomplete one at start, and keeps the last good one when a change does not load', async () => {
    const dir = tmp();
    const user = await makeUserCa();
    writePlugInDir(dir, { ...user.files, 'cert-chain.pem': undefined });
    const ca = new MeshCa({ trustDomain: 'cluster.local', log: silentLogger });
    await assert.rejects(startFileCa(ca, { caDir: dir, stateDir: tmp(), log: silentLogger }), /incomplete plug-in CA/);
    writePlugInDir(dir, user.files);
    const errors: string[] = [];
    const src = await startFileCa(ca, { caDir: dir, stateDir: tmp(), log: { ...silentLogger, error: (_o, m) => errors.push(m) }, pollMs: 50 });
    assert.equal(ca.signer?.cert.subject, user.intermediate.subject);
    writeFileSync(path.join(dir, 'ca-key.pem'), 'broken');
    await sleep(300);
    assert.equal(ca.signer?.cert.subject, user.intermediate.subject, 'the last good CA still signs');
    assert.deepEqual(errors, ['the changed CA files do not load; keeping the CA loaded before']);
    const next = await makeUserCa({ name: 'Next Corp' });
    const changed = new Promise((resolve) => ca.onChange(resolve));
    writePlugInDir(dir, next.files);
    // The poll timer does not keep a process alive; the test's own wait does.
    await Promise.race([changed, sleep(5000)]);
    assert.equal(ca.signer?.cert.subject, next.intermediate.subject);
    src.close();
    ca.close();
  });
});
