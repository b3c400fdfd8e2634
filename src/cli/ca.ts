// `mast ca rotate`: a new root for Mast's own CA, where Mast keeps it (the state file in file
// mode, the mast-ca Secret in Kubernetes mode). Running Masts pick it up within seconds and go
// through the rotation's phases (src/ca/root-rotation.ts): the new root joins every proxy's
// ROOTCA at once, signs after --activate-after, and the old root leaves after --overlap.
import type { Command } from 'commander';
import { certsOf, readCaState, replaceCaStateFile, rotateCaState, stateFile, defaultStateDir, CA_STATE_KEYS, type CaState, type RotateOptions } from '../ca';
import { loadKubeConfig } from '../sources/kubernetes';
import { rotateKubeCa } from '../sources/kubernetes/ca-secret';
import { durationMs } from './duration-flag';

interface RotateFlags {
  stateDir?: string;
  kubeconfig?: string;
  inCluster?: boolean;
  namespace: string;
  activateAfter: number;
  overlap: number;
}

const MINUTE = 60_000;

function describeRotation(state: CaState): string {
  const [next] = certsOf(state[CA_STATE_KEYS.cert] ?? '');
  const [previous] = certsOf(state[CA_STATE_KEYS.previousCert] ?? '');
  return [
    `new root "${next?.subject}" is trusted now and signs from ${state[CA_STATE_KEYS.previousSignsUntil]}`,
    `old root "${previous?.subject}" is trusted until ${state[CA_STATE_KEYS.previousTrustedUntil]}`,
  ].join('\n');
}

export function register(program: Command): void {
  const ca = program.command('ca').description("Mast's certificate authority");
  ca.command('rotate')
    .description("rotate Mast's own root: the new root is trusted at once, signs after --activate-after, and the old one is dropped after --overlap")
    .option('--state-dir <dir>', 'file mode: the state dir `mast serve` uses [default: $XDG_STATE_HOME/mast or ~/.local/state/mast]')
    .option('--kubeconfig <path>', 'Kubernetes mode: rotate the mast-ca Secret of this cluster')
    .option('--in-cluster', "Kubernetes mode: rotate the mast-ca Secret of the cluster this runs in")
    .option('--namespace <ns>', "Kubernetes mode: Mast's namespace", process.env['POD_NAMESPACE'] ?? 'mast-system')
    .option('--activate-after <duration>', 'how long the new root is only trusted before it signs, so every proxy trusts it first', durationMs(0), MINUTE)
    .option('--overlap <duration>', 'how long the old root stays trusted, from now (default the default workload certificate lifetime)', durationMs(0), 24 * 60 * MINUTE)
    .action(async (flags: RotateFlags) => {
      const o: RotateOptions = { activateAfterMs: flags.activateAfter, overlapMs: flags.overlap };
      let rotated: CaState;
      if (flags.kubeconfig !== undefined || flags.inCluster) {
        const kc = loadKubeConfig(flags.kubeconfig !== undefined ? { kubeconfig: flags.kubeconfig } : 'in-cluster');
        rotated = await rotateKubeCa(kc, flags.namespace, o);
        process.stdout.write(`rotated Secret ${flags.namespace}/mast-ca\n`);
      } else {
        const file = stateFile(flags.stateDir ?? defaultStateDir());
        const state = readCaState(file);
        if (!state) throw new Error(`no CA in ${file} yet: \`mast serve\` creates it on its first start`);
        rotated = await rotateCaState(state, o);
        replaceCaStateFile(file, rotated);
        process.stdout.write(`rotated ${file}\n`);
      }
      process.stdout.write(`${describeRotation(rotated)}\n`);
    });
}
