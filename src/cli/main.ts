#!/usr/bin/env node
// The `mast` command: each subcommand lives in its own file and registers itself here.
import { Command } from 'commander';
import { register as registerAnalyze } from './analyze';
import { register as registerBootstrap } from './bootstrap';
import { register as registerCa } from './ca';
import { register as registerServe } from './serve';

const program = new Command('mast').description('a service-mesh control plane serving Envoy over xDS');
registerServe(program);
registerBootstrap(program);
registerAnalyze(program);
registerCa(program);
program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`mast: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
