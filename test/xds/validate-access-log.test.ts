// What Envoy 1.36 parses in an access log when it loads the listener, and refuses the listener
// for: a Telemetry filter is a CEL expression it builds (source/extensions/access_loggers/filters/
// cel; an unknown function or a comprehension is refused), and a format (MeshConfig
// accessLogFormat, a provider's logFormat) is a substitution format string (an unknown command is
// refused). Mast's load checks refuse them first. Each verdict is checked against the real binary.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ISTIO_JSON_FORMAT, ISTIO_TEXT_FORMAT } from '../../src/translate/telemetry/access-log';
import { MAST_LIMITS, validateResource } from '../../src/xds/validate';
import { envoyValidate, skipWithoutEnvoy } from '../support/envoy-validate';

const LISTENER = 'type.googleapis.com/envoy.config.listener.v3.Listener';

function listener(expression: string, logFormat?: Record<string, unknown>): Record<string, unknown> {
  const filter = { extension_filter: { name: 'envoy.access_loggers.extension_filters.cel', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter', expression } } };
  const log = { name: 'envoy.access_loggers.file', filter, typed_config: { '@type': 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog', path: '/dev/null', ...(logFormat ? { log_format: logFormat } : {}) } };
  const tcp = { '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', stat_prefix: 'c', cluster: 'c', access_log: [log] };
  return { name: 'l', address: { socket_address: { address: '127.0.0.1', port_value: 10000 } }, filter_chains: [{ filters: [{ name: 'envoy.filters.network.tcp_proxy', typed_config: tcp }] }] };
}

const CASES: [expression: string, accepted: boolean][] = [
  ['response.code >= 400', true],
  ['xds.cluster_name.startsWith("outbound|9080")', true],
  ['foo(1) == 1', false],
  ['[1, 2].all(x, x > 0)', false],
  ['request.headers["x"].lowerAscii() == "a"', false],
];

test('Mast refuses the access log CEL filters Envoy cannot build, and only those', { skip: skipWithoutEnvoy }, async () => {
  for (const [expression, accepted] of CASES) {
    const found = validateResource(LISTENER, listener(expression), MAST_LIMITS);
    assert.equal(found.length === 0, accepted, `${expression}: ${JSON.stringify(found)}`);
    if (!accepted) assert.deepEqual(found.map((v) => v.rule), ['cel.expression']);
    const cluster = { name: 'c', connect_timeout: '1s', type: 'STATIC', load_assignment: { cluster_name: 'c', endpoints: [] } };
    const verdict = await envoyValidate({ static_resources: { listeners: [listener(expression)], clusters: [cluster] } });
    assert.equal(verdict.ok, accepted, `envoy on ${expression}: ${verdict.output}`);
  }
});

const WITHOUT_QUERY = { formatters: [{ name: 'envoy.formatter.req_without_query', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.formatter.req_without_query.v3.ReqWithoutQuery' } }] };
const FORMATS: [format: Record<string, unknown>, accepted: boolean][] = [
  [{ text_format_source: { inline_string: ISTIO_TEXT_FORMAT } }, true],
  [{ json_format: ISTIO_JSON_FORMAT, json_format_options: { sort_properties: false } }, true],
  [{ text_format_source: { inline_string: '%REQ_WITHOUT_QUERY(:PATH)%\n' }, ...WITHOUT_QUERY }, true],
  [{ text_format_source: { inline_string: '%REQ_WITHOUT_QUERY(:PATH)%\n' } }, false],
  [{ text_format_source: { inline_string: '%FOO% %RESPONSE_CODE%\n' } }, false],
  [{ json_format: { code: '%RESPONSE_CODE%', nested: { bad: '%BAR%' } } }, false],
];

test('Mast refuses the access log formats Envoy cannot parse, and only those', { skip: skipWithoutEnvoy }, async () => {
  for (const [format, accepted] of FORMATS) {
    const found = validateResource(LISTENER, listener('true', format), MAST_LIMITS);
    assert.equal(found.length === 0, accepted, `${JSON.stringify(format)}: ${JSON.stringify(found)}`);
    if (!accepted) assert.deepEqual(found.map((v) => v.rule), ['format.command']);
    const cluster = { name: 'c', connect_timeout: '1s', type: 'STATIC', load_assignment: { cluster_name: 'c', endpoints: [] } };
    const verdict = await envoyValidate({ static_resources: { listeners: [listener('true', format)], clusters: [cluster] } });
    assert.equal(verdict.ok, accepted, `envoy on ${JSON.stringify(format)}: ${verdict.output}`);
  }
});
