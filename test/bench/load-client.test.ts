// The Go load client's own tests (bench/load-client/wire_test.go: the fields it reads by hand
// against messages go-control-plane's generated types encode), run here so that `make test` runs
// them; the smoke test (xds-load-smoke.test.ts) then drives the client against real servers.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';

test('the Go load client reads and writes the xDS fields it handles by hand as protobuf does', () => {
  const dir = path.join(__dirname, '..', '..', 'bench', 'load-client');
  const r = spawnSync('go', ['test', '-buildvcs=false', '-count=1', './...'], { cwd: dir, encoding: 'utf8', timeout: 10 * 60_000 });
  assert.equal(r.status, 0, `go test failed:\n${r.stdout}${r.stderr}`);
  assert.match(r.stdout, /^ok\s+mast\/bench\/load-client/m);
});
