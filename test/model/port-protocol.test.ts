// Mast's protocol selection against Istio's own source at the pinned revision, read in place from
// the Go module cache: every name protocol.Parse knows (pkg/config/protocol/instance.go) lands in
// the class its IsHTTP2 / IsHTTP / IsTLS / IsTCP puts it in, and every case of Istio's
// TestConvertProtocol table (pkg/config/kube/conversion_test.go) gives what Istio expects.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { istioProtocol, portProtocol } from '../../src/model/port-protocol';
import { istioModuleDir } from '../conformance/corpus';

const dir = istioModuleDir();
const instance = readFileSync(path.join(dir, 'pkg/config/protocol/instance.go'), 'utf8');
const conversionTest = readFileSync(path.join(dir, 'pkg/config/kube/conversion_test.go'), 'utf8');

/** The constants a `func (i Instance) NAME() bool` switch answers true for. */
function members(method: string): Set<string> {
  const body = new RegExp(`func \\(i Instance\\) ${method}\\(\\) bool \\{([\\s\\S]*?)\\n\\}`).exec(instance)?.[1];
  assert.ok(body, `no ${method} in instance.go`);
  const first = /case ([^:]+):/.exec(body)?.[1];
  assert.ok(first, `no case in ${method}`);
  return new Set(first.split(',').map((s) => s.trim()));
}

/** Istio's class of a protocol constant, in Mast's terms (the order of the checks is Istio's listener builder's). */
function mastClass(constant: string): string | undefined {
  if (constant === 'Unsupported') return undefined;
  if (constant === 'UDP') return 'UDP';
  if (members('IsTLS').has(constant)) return 'TLS';
  if (members('IsHTTP2').has(constant)) return 'HTTP2';
  if (members('IsHTTP').has(constant)) return 'HTTP';
  if (members('IsTCP').has(constant)) return 'TCP';
  return `not proxied (${constant})`;
}

test("every name Istio's protocol.Parse knows is proxied as Istio's class of it", () => {
  const parse = /func Parse\(s string\) Instance \{([\s\S]*?)\n\}/.exec(instance)?.[1];
  assert.ok(parse, 'no Parse in instance.go');
  const cases = [...parse.matchAll(/case "([^"]+)":\s*return (\w+)/g)].map((m) => [m[1]!, m[2]!] as const);
  // HBONE is internal: a Service never declares it (instance.go says so).
  const declarable = cases.filter(([, constant]) => !constant.includes('HBONE'));
  assert.ok(declarable.length >= 12, `only ${declarable.length} names parsed from instance.go`);
  for (const [name, constant] of declarable) {
    for (const spelled of [name, name.toUpperCase(), `${name}-suffix`]) {
      assert.equal(istioProtocol({ port: 8000, name: spelled, protocol: 'TCP' }), mastClass(constant), `port name ${spelled} (Istio: ${constant})`);
    }
    assert.equal(istioProtocol({ port: 8000, name: 'x', appProtocol: name, protocol: 'TCP' }), mastClass(constant), `appProtocol ${name}`);
  }
});

test("Istio's TestConvertProtocol cases give Istio's answers", () => {
  const table = /cases := \[\]struct \{[\s\S]*?\}\{([\s\S]*?)\n\t\}\n/.exec(conversionTest)?.[1];
  assert.ok(table, 'no case table in conversion_test.go');
  const strings = Object.fromEntries([...conversionTest.matchAll(/^\t(\w+) := "([^"]*)"$/gm)].map((m) => [m[1]!, m[2]!]));
  const blocks = [...table.matchAll(/\{([\s\S]*?)\n\t\t\},?/g)].map((m) => m[1]!);
  assert.ok(blocks.length >= 9, `only ${blocks.length} cases parsed`);
  for (const block of blocks) {
    const field = (name: string): string | undefined => new RegExp(`\\b${name}:\\s*(.+?),\\s*(?://.*)?$`, 'm').exec(block)?.[1]?.trim();
    const title = JSON.parse(field('name') ?? '""') as string;
    const appProto = field('appProto');
    const appProtocol = appProto === undefined ? undefined : appProto.startsWith('&') ? strings[appProto.slice(1)] : (/ptr\.Of\("([^"]*)"\)/.exec(appProto)?.[1] ?? undefined);
    const expected = field('expectedProto')?.replace('protocol.', '');
    assert.ok(expected, `case ${title}: no expectedProto`);
    const port = {
      port: Number(field('port') ?? 0),
      name: JSON.parse(field('portName') ?? '""') as string,
      protocol: field('proto') === 'corev1.ProtocolUDP' ? ('UDP' as const) : ('TCP' as const),
      ...(appProtocol !== undefined ? { appProtocol } : {}),
    };
    assert.equal(istioProtocol(port), mastClass(expected === 'GRPCWeb' ? 'GRPCWeb' : expected), `case ${JSON.stringify(title)}: ${JSON.stringify(port)}`);
  }
});

test('ports Istio would sniff are proxied as HTTP; UDP ones not at all', () => {
  assert.equal(portProtocol({ port: 8000, name: 'web', protocol: 'TCP' }), 'HTTP');
  assert.equal(portProtocol({ port: 8000, protocol: 'TCP' }), 'HTTP');
  assert.equal(portProtocol({ port: 3306, protocol: 'TCP' }), 'TCP');
  assert.equal(portProtocol({ port: 8000, name: 'udp-x', protocol: 'TCP' }), undefined);
  assert.equal(portProtocol({ port: 53, name: 'dns', protocol: 'UDP' }), undefined);
  // appProtocol replaces the name: an unknown one is sniffed even under an `http-` name.
  assert.equal(istioProtocol({ port: 8000, name: 'http-web', appProtocol: 'custom', protocol: 'TCP' }), undefined);
});
