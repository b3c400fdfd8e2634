// e2e/harness/net.ts freePort: the ports the harness starts processes on. Two picks made before
// either was bound once found the same port, and a Mast exited with EADDRINUSE in a clean run.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { it } from 'node:test';
import { freePort } from '../../e2e/harness/net';

it('never hands out one port twice in a process, and each was free to bind', async () => {
  // One after another, none bound meanwhile, as a harness starting a Mast asks for its ports:
  // 400 draws from about 12,700 ports would repeat one almost surely (the birthday bound).
  const ports: number[] = [];
  for (let i = 0; i < 400; i++) ports.push(await freePort());
  assert.equal(new Set(ports).size, ports.length);
  for (const port of ports) {
    const server = createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
    await new Promise((resolve) => server.close(resolve));
  }
});
