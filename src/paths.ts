import { existsSync } from 'node:fs';
import path from 'node:path';

// The same code runs from src/ (tsx) and from dist/src/ (compiled), so files shipped beside the
// sources (proto/, examples/) are found from the package root rather than by relative depth.
export function packageRoot(from = __dirname): string {
  let dir = from;
  while (!existsSync(path.join(dir, 'package.json')) || !existsSync(path.join(dir, 'proto'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no Mast package root above ${from}`);
    dir = parent;
  }
  return dir;
}
