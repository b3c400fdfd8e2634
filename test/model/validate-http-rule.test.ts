// Mast's checks of one VirtualService http rule, one Istio validation function at a time
// (istio.io/istio pkg/config/validation at the pinned revision: validateHTTPRoute and what it
// calls). Each case states what Istio decides: the findings Mast must report, or none where
// Istio accepts. test/conformance/istio-validate.test.ts holds the same to istioctl itself.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { goDurationNanos } from '../../src/model/duration';
import { headerValueProblem } from '../../src/model/validate/headers';
import { at, dr, findings, vs, type Finding, type Raw } from './validation-cases';

describe('string matches (validateStringMatch, validateHTTPRouteMatchRequest)', () => {
  test('an empty prefix or regex is refused outside the path; Envoy would refuse the whole route table', () => {
    const match = (m: Raw): Finding[] => vs({ match: [m] });
    assert.deepEqual(match({ headers: { 'end-user': { prefix: '' } } }), [['MAST2016', at('match[0].headers.end-user.prefix')]]);
    assert.deepEqual(match({ method: { regex: '' } }), [['MAST2016', at('match[0].method.regex')]]);
    assert.deepEqual(match({ scheme: { prefix: '' } }), [['MAST2016', at('match[0].scheme.prefix')]]);
    assert.deepEqual(match({ authority: { prefix: '' } }), [['MAST2016', at('match[0].authority.prefix')]]);
    assert.deepEqual(match({ queryParams: { id: { regex: '' } } }), [['MAST2016', at('match[0].queryParams.id.regex')]]);
    assert.deepEqual(match({ withoutHeaders: { x: { prefix: '' } } }), [['MAST2016', at('match[0].withoutHeaders.x.prefix')]]);
    assert.deepEqual(match({ uri: { regex: '' } }), [['MAST2016', at('match[0].uri.regex')]]);
  });

  test('an empty uri prefix or exact value, and withoutHeaders regex `*` (header present), are accepted', () => {
    assert.deepEqual(vs({ match: [{ uri: { prefix: '' } }] }), []);
    assert.deepEqual(vs({ match: [{ uri: { exact: '' }, headers: { a: { exact: '' } } }] }), []);
    assert.deepEqual(vs({ match: [{ withoutHeaders: { 'x-debug': { regex: '*' } } }] }), []);
  });

  test("regexes: at most 1024 bytes (validateStringRegexp), and what Go's regexp refuses (\\C)", () => {
    assert.deepEqual(vs({ match: [{ uri: { regex: `/${'a'.repeat(1024)}` } }] }), [['MAST2004', at('match[0].uri.regex')]]);
    assert.deepEqual(vs({ match: [{ uri: { regex: '/a\\C' } }] }), [['MAST2004', at('match[0].uri.regex')]]);
    assert.deepEqual(vs({ rewrite: { uriRegexRewrite: { match: '(', rewrite: '/' } } }), [['MAST2004', at('rewrite.uriRegexRewrite.match')]]);
  });

  test('header names of matches: tokens, pseudo-headers, and JWT claims only at gateways', () => {
    assert.deepEqual(vs({ match: [{ headers: { 'bad header': { exact: 'a' } } }] }), [['MAST2020', at('match[0].headers["bad header"]')]]);
    assert.deepEqual(vs({ match: [{ headers: { ':authority': { exact: 'a' } } }] }), []);
    const claim = { match: [{ headers: { '@request.auth.claims.sub': { exact: 'u' } } }] };
    assert.deepEqual(vs(claim), [['MAST2037', at('match[0].headers')]]);
    assert.deepEqual(vs(claim, { gateways: ['istio-system/gw'] }), []);
  });

  test('match port, source labels and namespace', () => {
    assert.deepEqual(vs({ match: [{ port: 0 }] }), []);
    assert.deepEqual(vs({ match: [{ port: 70000 }] }), [['MAST2011', at('match[0].port')]]);
    assert.deepEqual(vs({ match: [{ sourceLabels: { 'bad key!': 'x' } }] }), [['MAST2027', at('match[0].sourceLabels')]]);
    assert.deepEqual(vs({ match: [{ sourceNamespace: 'Bad_NS' }] }), [['MAST2026', at('match[0].sourceNamespace')]]);
  });
});

describe('route destinations (validateHTTPRouteDestinations, validateDestination)', () => {
  const weights = (...w: (number | undefined)[]): Finding[] =>
    findings('VirtualService', { hosts: ['reviews'], http: [{ route: w.map((weight, i) => ({ destination: { host: `s${i}` }, ...(weight === undefined ? {} : { weight }) })) }] });

  test('weights are relative: 10/0, 30/30 and a lone weight are accepted', () => {
    assert.deepEqual(weights(10, 0), []);
    assert.deepEqual(weights(30, 30), []);
    assert.deepEqual(weights(100, undefined), []);
    assert.deepEqual(weights(7), []);
  });

  test('a negative weight, or several destinations all weighing 0, are refused', () => {
    assert.deepEqual(weights(-50, 150), [['MAST2001', at('route[0].weight')]]);
    assert.deepEqual(weights(0, 0), [['MAST2001', at('route')]]);
    assert.deepEqual(weights(undefined, undefined), [['MAST2001', at('route')]]);
  });

  test('hosts, subsets and ports of destinations and mirrors', () => {
    const to = (destination: Raw): Finding[] => findings('VirtualService', { hosts: ['reviews'], http: [{ route: [{ destination }] }] });
    assert.deepEqual(to({ host: '*' }), [['MAST2015', at('route[0].destination.host')]]);
    assert.deepEqual(to({ host: 'bad host' }), [['MAST2015', at('route[0].destination.host')]]);
    assert.deepEqual(to({ host: '*.example.com' }), []);
    assert.deepEqual(to({ host: 'reviews', subset: 'V_1' }), [['MAST2026', at('route[0].destination.subset')]]);
    assert.deepEqual(to({ host: 'reviews', port: {} }), [['MAST2011', at('route[0].destination.port.number')]]);
    assert.deepEqual(vs({ mirror: { host: '' } }), [['MAST2005', at('mirror.host')]]);
    assert.deepEqual(vs({ mirrors: [{ destination: { host: 'a' }, percentage: { value: 150 } }] }), [['MAST2019', at('mirrors[0].percentage.value')]]);
    assert.deepEqual(vs({ mirror: { host: 'a' }, mirrorPercentage: { value: -1 } }), [['MAST2019', at('mirrorPercentage.value')]]);
  });
});

describe('retries (validateHTTPRetry)', () => {
  test('retry conditions Istio knows, and HTTP status codes, are accepted', () => {
    for (const retryOn of ['5xx', 'gateway-error,connect-failure,refused-stream', '503', '+503', 'retriable-4xx,409', 'cancelled,unavailable,resource-exhausted']) {
      assert.deepEqual(vs({ retries: { attempts: 3, retryOn } }), [], retryOn);
    }
  });

  test('an unknown condition is refused, a typo included', () => {
    for (const retryOn of ['5xx,conect-failure', '5xx,', '999', '5XX']) {
      assert.deepEqual(vs({ retries: { attempts: 3, retryOn } }), [['MAST2017', at('retries.retryOn')]], retryOn);
    }
  });

  test('retry settings without attempts (retries off) are refused rather than ignored', () => {
    assert.deepEqual(vs({ retries: { retryOn: '5xx' } }), [['MAST2017', at('retries.attempts')]]);
    assert.deepEqual(vs({ retries: { perTryTimeout: '1s' } }), [['MAST2017', at('retries.attempts')]]);
    assert.deepEqual(vs({ retries: { attempts: 0 } }), []);
    assert.deepEqual(vs({ retries: { attempts: -1 } }), [['MAST2017', at('retries.attempts')]]);
    assert.deepEqual(vs({ retries: { attempts: 2, perTryTimeout: '0.5ms' } }), [['MAST2006', at('retries.perTryTimeout')]]);
  });
});

describe('fault injection (validateHTTPFaultInjection)', () => {
  test('percentages from 0.0001 to 100, or 0', () => {
    assert.deepEqual(vs({ fault: { abort: { httpStatus: 503, percentage: { value: 250 } } } }), [['MAST2019', at('fault.abort.percentage.value')]]);
    assert.deepEqual(vs({ fault: { delay: { fixedDelay: '1s', percentage: { value: 0.00001 } } } }), [['MAST2019', at('fault.delay.percentage.value')]]);
    assert.deepEqual(vs({ fault: { delay: { fixedDelay: '1s', percentage: { value: 0 } } } }), []);
  });

  test('abort statuses: HTTP 200..600, gRPC names; none set is only a warning', () => {
    assert.deepEqual(vs({ fault: { abort: { httpStatus: 999 } } }), [['MAST2018', at('fault.abort.httpStatus')]]);
    assert.deepEqual(vs({ fault: { abort: { httpStatus: 199 } } }), [['MAST2018', at('fault.abort.httpStatus')]]);
    assert.deepEqual(vs({ fault: { abort: { httpStatus: 599 } } }), []);
    assert.deepEqual(vs({ fault: { abort: { httpStatus: 600 } } }), [['MAST2018', at('fault.abort.httpStatus')]], 'Istio accepts 600, Envoy does not');
    assert.deepEqual(vs({ fault: { abort: { grpcStatus: 'BOGUS' } } }), [['MAST2018', at('fault.abort.grpcStatus')]]);
    assert.deepEqual(vs({ fault: { abort: { grpcStatus: 'UNAVAILABLE' } } }), []);
    assert.deepEqual(vs({ fault: { abort: { percentage: { value: 5 } } } }), [['MAST2041', at('fault.abort')]]);
    assert.deepEqual(vs({ fault: {} }), [['MAST2018', at('fault')]]);
  });
});

describe('durations (ValidateDuration)', () => {
  test('Go durations of at least 1ms in whole milliseconds', () => {
    assert.deepEqual(vs({ timeout: '0s' }), [['MAST2006', at('timeout')]]);
    assert.deepEqual(vs({ timeout: '1.5ms' }), [['MAST2006', at('timeout')]]);
    assert.deepEqual(vs({ timeout: '-1s' }), [['MAST2006', at('timeout')]]);
    assert.deepEqual(vs({ timeout: '+2s' }), []);
    assert.deepEqual(vs({ timeout: '1h30m' }), []);
    assert.deepEqual(dr({ trafficPolicy: { connectionPool: { tcp: { idleTimeout: '0s' } } } }), [], '0s turns the TCP idle timeout off');
  });

  test("Go's time.ParseDuration, in nanoseconds", () => {
    assert.equal(goDurationNanos('1.5s'), 1_500_000_000n);
    assert.equal(goDurationNanos('-300ms'), -300_000_000n);
    assert.equal(goDurationNanos('+0'), 0n);
    assert.equal(goDurationNanos('1h1µs'), 3_600_000_001_000n);
    assert.equal(goDurationNanos('1.s'), 1_000_000_000n);
    for (const bad of ['', '10', '.s', '1d', 'abc', '1s ', '3000000h']) assert.equal(goDurationNanos(bad), undefined, bad);
  });
});

describe('header operations (ValidateHTTPHeader*OperationName, ValidateHTTPHeaderValue)', () => {
  test('names: no pseudo-headers but :authority, never Host where it cannot be set', () => {
    assert.deepEqual(vs({ headers: { request: { set: { ':path': '/' } } } }), [['MAST2020', at('headers.request.set[":path"]')]]);
    assert.deepEqual(vs({ headers: { request: { set: { ':authority': 'a.example.com' } } } }), []);
    assert.deepEqual(vs({ headers: { request: { remove: ['Host'] } } }), [['MAST2020', at('headers.request.remove[0]')]]);
    assert.deepEqual(vs({ headers: { response: { add: { host: 'x' } } } }), [['MAST2020', at('headers.response.add.host')]]);
  });

  test("values: Envoy's %VARIABLE% syntax", () => {
    for (const good of ['v', '%HOSTNAME%', '100%%', '%REQ(x-a)%', '%UPSTREAM_METADATA(["a", "b"])%', '']) assert.equal(headerValueProblem(good), undefined, good);
    for (const bad of ['100%', '%START_TIME%%', 'a\u0001b', '%REQ(x', '%A(["a" "b"])%']) assert.notEqual(headerValueProblem(bad), undefined, bad);
    assert.deepEqual(vs({ headers: { response: { set: { 'x-a': '100%' } } } }), [['MAST2020', at('headers.response.set.x-a')]]);
  });

  test('the authority is rewritten in one place only (validateAuthorityRewrite)', () => {
    assert.deepEqual(vs({ rewrite: { authority: 'a' }, headers: { request: { set: { host: 'b' } } } }), [['MAST2023', at('headers.request')]]);
    assert.deepEqual(vs({ headers: { request: { set: { host: 'b' } } } }), []);
  });
});

describe('what a rule does (validateHTTPRouteConflict, redirect, rewrite, directResponse, CORS)', () => {
  test('one of route, redirect and directResponse; mirror or mirrors', () => {
    assert.deepEqual(vs({ redirect: { uri: '/' } }), [['MAST2021', 'spec.http[0]']]);
    const only = (rule: Raw): Finding[] => findings('VirtualService', { hosts: ['reviews'], http: [rule] });
    assert.deepEqual(only({ directResponse: { status: 503 }, fault: { abort: { httpStatus: 500 } } }), [['MAST2021', 'spec.http[0]']]);
    assert.deepEqual(vs({ mirror: { host: 'a' }, mirrors: [{ destination: { host: 'b' } }] }), [['MAST2021', 'spec.http[0]']]);
    assert.deepEqual(only({ redirect: { scheme: 'ftp' } }), [['MAST2022', at('redirect')]]);
    assert.deepEqual(only({ redirect: { uri: '/', redirectCode: 200 } }), [['MAST2022', at('redirect')]]);
    assert.deepEqual(only({ redirect: {} }), [['MAST2022', at('redirect')]]);
    assert.deepEqual(only({ redirect: { port: 8443 } }), []);
    // Istio's validation takes any 3xx; its translation has no Envoy code for 305 and drops the rule, with a warning.
    assert.deepEqual(only({ redirect: { uri: '/', redirectCode: 305 } }), [['MAST2041', at('redirect.redirectCode')]]);
    for (const code of [301, 302, 303, 307, 308]) assert.deepEqual(only({ redirect: { uri: '/', redirectCode: code } }), [], String(code));
    assert.deepEqual(only({ directResponse: { status: 601 } }), [['MAST2024', at('directResponse.status')]]);
    assert.deepEqual(only({ directResponse: { status: 200, body: { string: 'x'.repeat(200 * 1024) } } }), [['MAST2041', at('directResponse.body')]]);
    assert.deepEqual(only({ directResponse: { status: 200, body: { string: 'x'.repeat(1024 * 1024 + 1) } } }), [['MAST2024', at('directResponse.body')]]);
  });

  test('rewrite: something to rewrite, a path or a regex, not both', () => {
    assert.deepEqual(vs({ rewrite: {} }), [['MAST2023', at('rewrite')]]);
    assert.deepEqual(vs({ rewrite: { uri: '/', uriRegexRewrite: { match: 'a', rewrite: 'b' } } }), [['MAST2023', at('rewrite')]]);
    assert.deepEqual(vs({ rewrite: { uriRegexRewrite: { match: 'a' } } }), [['MAST2023', at('rewrite.uriRegexRewrite')]]);
    assert.deepEqual(vs({ rewrite: { authority: 'b.example.com' } }), []);
  });

  test('CORS: origins with a value, methods by their exact name, header tokens, maxAge in whole seconds', () => {
    assert.deepEqual(vs({ corsPolicy: { allowOrigins: [{ exact: '' }] } }), [['MAST2025', at('corsPolicy.allowOrigins[0]')]]);
    assert.deepEqual(vs({ corsPolicy: { allowMethods: ['get'] } }), [['MAST2025', at('corsPolicy.allowMethods[0]')]]);
    assert.deepEqual(vs({ corsPolicy: { allowHeaders: ['bad header'] } }), [['MAST2025', at('corsPolicy.allowHeaders[0]')]]);
    assert.deepEqual(vs({ corsPolicy: { maxAge: '1.5s' } }), [['MAST2025', at('corsPolicy.maxAge')]]);
    assert.deepEqual(vs({ corsPolicy: { allowOrigins: [{ regex: '.*\\.example\\.com' }], allowMethods: ['GET', '*'], allowHeaders: ['*'], maxAge: '24h' } }), []);
  });
});
