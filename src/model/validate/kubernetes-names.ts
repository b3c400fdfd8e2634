// Names as the Kubernetes API server checks them before any object exists: Services are DNS-1035
// labels (pkg/apis/core/validation ValidateServiceName), namespaces DNS-1123 labels
// (apimachinery pkg/api/validation ValidateNamespaceName), every other kind Mast reads a DNS-1123
// subdomain (ValidatePodName, ValidateEndpointSliceName, and NameIsDNSSubdomain for custom
// resources such as Istio's). The rules are apimachinery's pkg/util/validation IsDNS1035Label,
// IsDNS1123Label and IsDNS1123Subdomain, with their messages. File mode has no API server, so
// Mast checks for it: a Service named `DETAILS` would otherwise claim the domains of `details`,
// which Envoy compares without regard to case.
import type { FieldReader } from '../parse/read';
import type { Kind } from '../types';

const DNS1123_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN = `${DNS1123_LABEL}(\\.${DNS1123_LABEL})*`;
const DNS1035_LABEL = '[a-z]([-a-z0-9]*[a-z0-9])?';

interface NameRule {
  /** apimachinery's function, named in findings. */
  source: string;
  pattern: RegExp;
  maxLength: number;
  /** apimachinery's RegexError text. */
  message: string;
}

const regexError = (what: string, format: string, ...examples: string[]): string =>
  `${what} (e.g. ${examples.map((e) => `'${e}'`).join(' or ')}, regex used for validation is '${format}')`;

const DNS1035: NameRule = {
  source: 'IsDNS1035Label',
  pattern: new RegExp(`^${DNS1035_LABEL}$`),
  maxLength: 63,
  message: regexError("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character", DNS1035_LABEL, 'my-name', 'abc-123'),
};

const DNS1123_LABEL_RULE: NameRule = {
  source: 'IsDNS1123Label',
  pattern: new RegExp(`^${DNS1123_LABEL}$`),
  maxLength: 63,
  message: regexError("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character", DNS1123_LABEL, 'my-name', '123-abc'),
};

const DNS1123_SUBDOMAIN_RULE: NameRule = {
  source: 'IsDNS1123Subdomain',
  pattern: new RegExp(`^${DNS1123_SUBDOMAIN}$`),
  maxLength: 253,
  message: regexError("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character", DNS1123_SUBDOMAIN, 'example.com'),
};

/** What the API server says of `value` under `rule`, as apimachinery words it; empty when valid. */
function problems(rule: NameRule, value: string): string[] {
  const found: string[] = [];
  // Go measures in bytes.
  if (Buffer.byteLength(value, 'utf8') > rule.maxLength) found.push(`must be no more than ${rule.maxLength} characters`);
  if (!rule.pattern.test(value)) {
    // IsDNS1123Label says so when only dots are wrong.
    const dots = rule === DNS1123_LABEL_RULE && DNS1123_SUBDOMAIN_RULE.pattern.test(value);
    found.push(dots ? 'must not contain dots' : rule.message);
  }
  return found;
}

/**
 * Reports MAST2103 at `metadata.name` and `metadata.namespace` for what the API server would refuse
 * in an object of `kind`; the object is then refused, as it would never exist in a cluster.
 */
export function checkObjectName(read: FieldReader, kind: Kind, name: string, namespace: string): void {
  const report = (field: string, value: string, rule: NameRule): void => {
    const found = problems(rule, value);
    if (found.length > 0) read.report('MAST2103', field, `Invalid value ${JSON.stringify(value)}: ${found.join('; ')} (the Kubernetes API server's ${rule.source})`);
  };
  report('metadata.name', name, kind === 'Service' ? DNS1035 : DNS1123_SUBDOMAIN_RULE);
  report('metadata.namespace', namespace, DNS1123_LABEL_RULE);
}
