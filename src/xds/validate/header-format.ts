// Header values in headers_to_add are substitution format strings: Envoy parses them when it loads
// the route (source/common/router/header_parser.cc, parseHttpHeaderFormatter ->
// Formatter::FormatterImpl::create -> SubstitutionFormatParser::parse in
// source/common/formatter/substitution_formatter.h). A `%` must be `%%` or open a command
// `%NAME%`, `%NAME(args)%` or `%NAME(args):N%`; anything else is refused ("Couldn't find valid
// command at position N"), and so is a command no parser knows ("Not supported field in
// StreamInfo: NAME"). Which names exist is Envoy's command parsers' business; this list holds the
// commands of Envoy's access-log format documentation that header values commonly use, and a
// name outside it is refused: refusing a valid but unlisted command costs one header, accepting a
// wrong one costs a NACK of the whole route table.

/** Commands that take no arguments (or only optional ones). */
const PLAIN_COMMANDS = new Set([
  'START_TIME', 'START_TIME_LOCAL', 'EMIT_TIME', 'EMIT_TIME_LOCAL', 'REQUEST_HEADERS_BYTES', 'REQUEST_TX_DURATION', 'BYTES_RECEIVED', 'BYTES_SENT',
  'PROTOCOL', 'UPSTREAM_PROTOCOL', 'RESPONSE_CODE', 'RESPONSE_CODE_DETAILS', 'CONNECTION_TERMINATION_DETAILS', 'RESPONSE_FLAGS', 'RESPONSE_FLAGS_LONG',
  'UPSTREAM_HOST', 'UPSTREAM_HOST_NAME', 'UPSTREAM_CLUSTER', 'UPSTREAM_LOCAL_ADDRESS', 'UPSTREAM_LOCAL_ADDRESS_WITHOUT_PORT', 'UPSTREAM_LOCAL_PORT',
  'UPSTREAM_REMOTE_ADDRESS', 'UPSTREAM_REMOTE_ADDRESS_WITHOUT_PORT', 'UPSTREAM_REMOTE_PORT', 'UPSTREAM_TRANSPORT_FAILURE_REASON', 'UPSTREAM_REQUEST_ATTEMPT_COUNT',
  'DOWNSTREAM_REMOTE_ADDRESS', 'DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT', 'DOWNSTREAM_REMOTE_PORT', 'DOWNSTREAM_DIRECT_REMOTE_ADDRESS',
  'DOWNSTREAM_DIRECT_REMOTE_ADDRESS_WITHOUT_PORT', 'DOWNSTREAM_DIRECT_REMOTE_PORT', 'DOWNSTREAM_LOCAL_ADDRESS', 'DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT',
  'DOWNSTREAM_LOCAL_PORT', 'DOWNSTREAM_LOCAL_URI_SAN', 'DOWNSTREAM_PEER_URI_SAN', 'DOWNSTREAM_LOCAL_SUBJECT', 'DOWNSTREAM_PEER_SUBJECT',
  'DOWNSTREAM_PEER_ISSUER', 'DOWNSTREAM_TLS_SESSION_ID', 'DOWNSTREAM_TLS_CIPHER', 'DOWNSTREAM_TLS_VERSION', 'DOWNSTREAM_PEER_FINGERPRINT_256',
  'DOWNSTREAM_PEER_FINGERPRINT_1', 'DOWNSTREAM_PEER_SERIAL', 'DOWNSTREAM_PEER_CERT', 'DOWNSTREAM_PEER_CERT_V_START', 'DOWNSTREAM_PEER_CERT_V_END',
  'REQUESTED_SERVER_NAME', 'ROUTE_NAME', 'VIRTUAL_CLUSTER_NAME', 'HOSTNAME', 'DURATION', 'REQUEST_DURATION', 'RESPONSE_DURATION', 'RESPONSE_TX_DURATION',
  'CONNECTION_ID', 'STREAM_ID', 'UPSTREAM_CONNECTION_ID', 'TRACE_ID',
]);

/** Commands that need `(args)`. */
const ARG_COMMANDS = new Set(['REQ', 'RESP', 'TRAILER', 'DYNAMIC_METADATA', 'CLUSTER_METADATA', 'UPSTREAM_METADATA', 'FILTER_STATE', 'UPSTREAM_FILTER_STATE', 'ENVIRONMENT']);

const COMMAND = /^%([A-Z]|[A-Z][A-Z0-9_]*[A-Z0-9])(\([^)]*\))?(:[0-9]+)?%/;

/** Why Envoy would refuse `value` as a header value format, or undefined. */
export function headerFormatProblem(value: string): string | undefined {
  let i = 0;
  while ((i = value.indexOf('%', i)) >= 0) {
    if (value[i + 1] === '%') {
      i += 2;
      continue;
    }
    const m = COMMAND.exec(value.slice(i));
    if (!m) return `Incorrect configuration: ${value}. Couldn't find valid command at position ${i}`;
    const name = m[1] as string;
    const known = m[2] ? ARG_COMMANDS.has(name) || PLAIN_COMMANDS.has(name) : PLAIN_COMMANDS.has(name);
    if (!known) return `Not supported field in StreamInfo: ${name}`;
    i += m[0].length;
  }
  return undefined;
}
