// Where the real backends' binaries are: the ones `make tracing`, `make ratelimit` and `make redis`
// put in place (tools/backends/build.sh, which is asked rather than repeated here), or the
// JAEGER_BIN / RATELIMIT_BIN / REDIS_SERVER_BIN overrides. A test that needs a missing one fails
// and names the make target; it never skips.
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

const BUILD = path.join(__dirname, '..', '..', 'tools', 'backends', 'build.sh');

export type BackendName = 'jaeger' | 'ratelimit' | 'redis';

const HOW: Record<BackendName, { target: string; env: string; what: string }> = {
  jaeger: { target: 'tracing', env: 'JAEGER_BIN', what: 'Jaeger, built from the Go module proxy' },
  ratelimit: { target: 'ratelimit', env: 'RATELIMIT_BIN', what: 'envoyproxy/ratelimit, built from the Go module proxy' },
  redis: { target: 'redis', env: 'REDIS_SERVER_BIN', what: "Debian's redis-server" },
};

/**
 * The absolute path of backend `name`'s executable. Throws, naming `make <target>` and the
 * override variable, when it is not there or not executable.
 */
export function backendBin(name: BackendName): string {
  const how = HOW[name];
  // build.sh --bin only prints a path (the override's, or the cache's); it builds nothing.
  const bin = execFileSync(BUILD, [name, '--bin'], { encoding: 'utf8' }).trim();
  try {
    if (!path.isAbsolute(bin)) throw new Error('not found');
    accessSync(bin, constants.X_OK);
  } catch {
    throw new Error(`${name} is not there (${bin}): run \`make ${how.target}\` (${how.what}) or set ${how.env} to a binary`);
  }
  return bin;
}
