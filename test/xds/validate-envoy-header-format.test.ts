// Header value formats (src/xds/validate/header-format.ts) against real Envoy: every command Mast
// accepts, in every argument shape it accepts, and every CEL function form it accepts, must load in
// `envoy --mode validate`; and a sample of what Mast refuses (unknown and malformed commands, bad
// arguments, legacy forms gone wrong, CEL Envoy cannot build) must be refused by Envoy too. The
// accepted ones run in a few route tables (bisected if Envoy refused one); refused ones one by one.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CEL_FUNCTIONS } from '../../src/xds/validate/cel-commands';
import { type CommandRule, FORMAT_COMMANDS } from '../../src/xds/validate/format-commands';
import { headerFormatProblem } from '../../src/xds/validate/header-format';
import { envoyValidate, refusedByEnvoy, skipWithoutEnvoy as skip } from '../support/envoy-validate';
import { bootstrap, type Candidate } from '../support/validate-envoy-fixtures';
import { REGEX_MAX_PROGRAM_SIZE } from '../../src/xds/validate';

/** A valid argument for each command that checks its argument (or needs one). */
const ARGS: Record<string, string[]> = {
  COMMON_DURATION: ['DS_RX_BEG:DS_TX_END', 'US_CX_BEG:US_CX_END:us', 'a:b:ns'],
  DYNAMIC_METADATA: ['ns', 'ns:a:b', '["a","b"]'],
  CLUSTER_METADATA: ['ns:a'],
  UPSTREAM_METADATA: ['ns:a'],
  FILTER_STATE: ['k', 'k:PLAIN', 'k:TYPED', 'k:FIELD:f'],
  UPSTREAM_FILTER_STATE: ['k:PLAIN'],
  ENVIRONMENT: ['HOME'],
  REQ: [':authority', 'x-a?x-b', 'X-Mixed', '?x'],
  RESP: ['content-type'],
  TRAILER: ['grpc-status'],
  STREAM_INFO_REQ: [':path'],
  GRPC_STATUS: ['CAMEL_STRING', 'SNAKE_STRING', 'NUMBER'],
  QUERY_PARAM: ['q', 'a b'],
  PATH: ['WQ', 'NQ:ORIG', ':PATH', 'WQ:ORIG_OR_PATH:extra'],
  METADATA: ['DYNAMIC:ns:a', 'CLUSTER', 'ROUTE:ns', 'UPSTREAM_HOST:ns', 'LISTENER:ns', 'VIRTUAL_HOST:ns'],
  XFCC_VALUE: ['by', 'URI', 'Subject', 'hash', 'cert', 'chain', 'dns'],
  START_TIME: ['%s.%3f', '%Y-%m-%dT%H:%M:%S%z'],
  RESPONSE_CODE_DETAILS: ['ALLOW_WHITESPACES', 'anything'],
};

/** Commands whose argument is optional to the syntax check but not to the command's own. */
const NEEDS_ARG = new Set(['FILTER_STATE', 'UPSTREAM_FILTER_STATE', 'METADATA', 'XFCC_VALUE']);

/** Every shape of `name` Mast accepts: bare and `()` unless it needs an argument, with its arguments, with `:N` where allowed. */
function shapes(name: string, rule: CommandRule): string[] {
  const args = ARGS[name] ?? ['x'];
  const out = rule.args === 'required' || NEEDS_ARG.has(name) ? [] : [`%${name}%`, `%${name}()%`];
  if (rule.args !== 'none') out.push(...args.map((a) => `%${name}(${a})%`));
  if (rule.length) out.push(`%${name}(${args[0]}):12%`);
  return out;
}

/** One CEL expression for each function form Mast accepts. */
function celSamples(): string[] {
  const syntax: Record<string, string> = { '!_': '!a', '-_': '-a', '_?_:_': 'a ? b : c', '_[_]': 'a["k"]', '@in': 'a in [1, 2]' };
  return [...CEL_FUNCTIONS].flatMap((form) => {
    const cut = form.lastIndexOf('/');
    const [name, n] = [form.slice(0, cut), form.slice(cut + 1)];
    if (syntax[name]) return [syntax[name] as string];
    if (name.startsWith('_')) return [`a ${name.slice(1, -1)} b`];
    const args = Array.from({ length: Number(n) }, (_, i) => (i === 1 ? '"UTC"' : 'a'));
    return [name.startsWith('.') ? `${args[0]}${name}(${args.slice(1).join(', ')})` : `${name}(${args.join(', ')})`];
  });
}

/** What Mast must accept and Envoy load. */
function accepted(): string[] {
  const commands = [...FORMAT_COMMANDS].flatMap(([name, rule]) => shapes(name, rule));
  const cel = [...celSamples(), 'request.headers["x-id"] + "/" + xds.cluster_name', 'has(request.host) ? 1u : -9223372036854775808', '{"a": [1, 2.5, true, null, b"x"]}["a"]', `${'('.repeat(16)}a${')'.repeat(16)}`];
  const legacy = ['%UPSTREAM_METADATA(["ns", "k"])%', '%DYNAMIC_METADATA( ["ns"] )%', '%PER_REQUEST_STATE(k)%', '%%PER_REQUEST_STATE(a:b)%%'];
  const text = ['plain', '100%%', 'a %% b %REQ(x-id)% c', '%START_TIME(%s)%%%', '%CEL(size(a) == ")")%', '%PATH:0%', 'é %UNIQUE_ID%'];
  return [...commands, ...[...cel.map((e) => `%CEL(${e})%`), `%TYPED_CEL(${cel[0]}):4%`], ...legacy, ...text];
}

/** What Mast must refuse and Envoy refuse too. */
const REFUSED = [
  '50%', '%', '%a%', '%FOO%', '%9%', '%_X%', '%REQ%', '%REQ()%', '%PROTOCOL(x)%', '%PROTOCOL:3%', '%START_TIME:3%', '%REQ(x):99999999999999999999%',
  '%REQ(a b)%', '%REQ(x)b)%', '%REQ(a?b?c)%', '%REQ(:)%', '%DYNAMIC_METADATA(a):3%', '%DYNAMIC_METADATA([""])%', '%FILTER_STATE%', '%FILTER_STATE(k:JSON)%',
  '%FILTER_STATE(k:FIELD)%', '%FILTER_STATE(k:PLAIN:f)%', '%PER_REQUEST_STATE(a:b)%', '%PER_REQUEST_STATE()%', '%COMMON_DURATION(a)%',
  '%COMMON_DURATION(a:b:s)%', '%GRPC_STATUS(TEXT)%', '%PATH(XQ)%', '%PATH(WQ:X)%', '%METADATA%', '%METADATA(FOO:a)%', '%XFCC_VALUE%',
  '%XFCC_VALUE(email)%', '%START_TIME(%n)%', '%ENVIRONMENT%', '%QUERY_PARAM%', '%REQUEST_HEADER(x)%', '%COALESCE(x)%', '%REQ_WITHOUT_QUERY(x)%',
  '%UPSTREAM_LOCAL_CLOSE_REASON%', '%METHOD%', '%CEL%', '%CEL(1 +)%', '%CEL(has(1))%', '%CEL(a.map(x, x))%', '%CEL(string(a))%',
  '%CEL(a.lowerAscii())%', '%CEL(a.int())%', '%CEL(getHours(a))%', '%CEL(size())%', '%CEL(A{})%', '%CEL(9223372036854775808)%', '%CEL(18446744073709551616u)%',
  `%CEL(${'+a'.repeat(40).slice(1)})%`, `%CEL(${'('.repeat(40)}a${')'.repeat(40)})%`,
];

/** One route table per 100 values, each value a request header to add. */
function routes(values: readonly string[]): Candidate[] {
  const tables: Candidate[] = [];
  for (let i = 0; i < values.length; i += 100) {
    const headers = values.slice(i, i + 100).map((value, j) => ({ header: { key: `x-h${j}`, value } }));
    tables.push({ label: `headers ${i}`, kind: 'route', json: { name: `r${i}`, virtual_hosts: [{ name: 'v', domains: ['*'], routes: [{ match: { prefix: '/' }, direct_response: { status: 200 } }], request_headers_to_add: headers }] } });
  }
  return tables;
}

test('every header value format Mast accepts loads in Envoy 1.36, and what it refuses Envoy refuses', { skip, timeout: 120_000 }, async (t) => {
  const good = accepted();
  const mastRefuses = good.filter((v) => headerFormatProblem(v) !== undefined);
  assert.deepEqual(mastRefuses.map((v) => [v, headerFormatProblem(v)]), [], 'Mast accepts every sample meant to be accepted');
  const missedByEnvoy = await refusedByEnvoy(good, (group) => bootstrap(routes(group), REGEX_MAX_PROGRAM_SIZE));
  assert.deepEqual([...missedByEnvoy].map(([v, out]) => `${v}: ${out.slice(-200)}`), [], 'Envoy loads every value Mast accepts');

  assert.deepEqual(REFUSED.filter((v) => headerFormatProblem(v) === undefined), [], 'Mast refuses every sample meant to be refused');
  const verdicts = await Promise.all(REFUSED.map((v) => envoyValidate(bootstrap(routes([v]), REGEX_MAX_PROGRAM_SIZE))));
  assert.deepEqual(REFUSED.filter((_, i) => verdicts[i]?.ok), [], 'Envoy refuses every value Mast refuses in the sample');
  const worded = REFUSED.filter((v, i) => verdicts[i]?.output.includes(headerFormatProblem(v) as string));
  t.diagnostic(`${FORMAT_COMMANDS.size + 2} commands (CEL, TYPED_CEL included) in ${good.length} accepted values, ${CEL_FUNCTIONS.size} CEL function forms; ${REFUSED.length} refused values, Envoy's message containing Mast's for ${worded.length}`);
});
