import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { Command } from 'commander';
import { analyze, register } from '../../src/cli/analyze';
import { DIAGNOSTIC_CODES, type DiagnosticCode } from '../../src/model';
import { BAD_INPUTS, reviews, yamlOf } from '../model/fixtures';

describe('mast analyze', () => {
  const good = mkdtempSync(path.join(tmpdir(), 'mast-analyze-good-'));
  const bad = mkdtempSync(path.join(tmpdir(), 'mast-analyze-bad-'));
  writeFileSync(path.join(good, 'reviews.yaml'), yamlOf(...reviews()));
  writeFileSync(path.join(bad, 'reviews.yaml'), yamlOf(...reviews()));
  BAD_INPUTS.forEach((input, i) => writeFileSync(path.join(bad, `bad-${i}.yaml`), input.text));
  after(() => {
    rmSync(good, { recursive: true, force: true });
    rmSync(bad, { recursive: true, force: true });
  });

  test('clean configuration: no output, exit 0', async () => {
    assert.deepEqual(await analyze([good], { domain: 'cluster.local' }), { diagnostics: [], output: '', exitCode: 0 });
  });

  test('one line per finding naming file, object, field and code; exit 1', async () => {
    const result = await analyze([bad], { domain: 'cluster.local' });
    const lines = result.output.trimEnd().split('\n');
    assert.equal(lines.length, BAD_INPUTS.length);
    assert.equal(
      lines.find((l) => l.includes('MAST2001')),
      `${path.join(bad, 'bad-3.yaml')}#1 VirtualService/default/details spec.http[0].route: MAST2001 total destination weight = 0: with several destinations, at least one needs a weight above 0`,
    );
    assert.equal(result.exitCode, 1);
  });

  test('warnings alone exit 0', async () => {
    const result = await analyze([path.join(bad, 'bad-1.yaml')], { domain: 'cluster.local' });
    assert.deepEqual(
      result.diagnostics.map((d) => d.code),
      ['MAST1003'],
    );
    assert.equal(result.exitCode, 0);
  });

  test('registered as a command with --json', async () => {
    const program = new Command().exitOverride();
    const out: string[] = [];
    const err: string[] = [];
    register(program, { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) } });
    await program.parseAsync(['analyze', '--json', bad], { from: 'user' });
    const exitCode = process.exitCode;
    process.exitCode = undefined;
    const parsed = JSON.parse(out.join('')) as { code: string }[];
    const errors = BAD_INPUTS.filter((b) => DIAGNOSTIC_CODES[b.expect.code as DiagnosticCode].severity === 'error').length;
    const warnings = BAD_INPUTS.length - errors;
    assert.deepEqual(err, [`${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}\n`]);
    assert.deepEqual(parsed.map((d) => d.code).sort(), BAD_INPUTS.map((b) => b.expect.code).sort());
    assert.equal(exitCode, 1);
  });
});

describe('mast analyze and what Envoy would reject', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mast-analyze-envoy-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('reports MAST4001 for a VirtualService that passes Istio\'s rules but would be refused by Envoy, with file and object', async () => {
    writeFileSync(path.join(dir, 'reviews.yaml'), `apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: shop}
spec: {selector: {app: reviews}, ports: [{name: http, port: 9080}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: shop}
spec:
  hosts: [reviews]
  http:
  - headers: {request: {set: {x-who: "%NO_SUCH_COMMAND%"}}}
    route: [{destination: {host: reviews}}]
`);
    const result = await analyze([dir], { domain: 'cluster.local' });
    assert.deepEqual(result.diagnostics.map((d) => d.code), ['MAST4001']);
    assert.match(result.output, /reviews\.yaml#2 VirtualService\/shop\/reviews spec\.http\[0\]: MAST4001 Envoy would reject rds 9080 \(.*NO_SUCH_COMMAND/);
    assert.equal(result.exitCode, 1);
  });
});
