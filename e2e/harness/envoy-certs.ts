// What an Envoy holds of its TLS secrets, as its admin API shows them: `/certs` (the certificates
// in use per TLS context: serial numbers, SANs, expiry) and the SDS secrets of `/config_dump`
// (the PEM Envoy was sent, private keys redacted by Envoy itself).
import type { Envoy } from './envoy';
import { get } from './net';

/** One certificate in `/certs` (envoy/admin/v3/certs.proto CertificateDetails). */
export interface CertDetails {
  path: string;
  serial_number: string;
  subject_alt_names?: { uri?: string; dns?: string; ip_address?: string }[];
  expiration_time?: string;
  valid_from?: string;
}

/** One TLS context of `/certs`: its trusted CAs and its own chain. */
export interface CertsEntry {
  ca_cert?: CertDetails[];
  cert_chain?: CertDetails[];
}

export async function envoyCerts(envoy: Envoy): Promise<CertsEntry[]> {
  const r = await get(`${envoy.adminUrl}/certs`);
  if (r.status !== 200) throw new Error(`envoy ${envoy.name} /certs: ${r.status}`);
  return (JSON.parse(r.text) as { certificates?: CertsEntry[] }).certificates ?? [];
}

/** Serial numbers as Envoy prints them (lowercase hex without leading zeros) and @peculiar/x509 does (hex). */
export function sameSerial(envoySerial: string, hex: string): boolean {
  return envoySerial.toLowerCase().replace(/^0+/, '') === hex.toLowerCase().replace(/^0+/, '');
}

/** An SDS secret in Envoy's `/config_dump`, its DataSources decoded to text. */
export interface DumpedSecret {
  name: string;
  versionInfo?: string;
  certificateChain?: string;
  privateKey?: string;
  trustedCa?: string;
}

const text = (source: { inline_bytes?: string; inline_string?: string } | undefined): string | undefined =>
  source?.inline_string ?? (source?.inline_bytes !== undefined ? Buffer.from(source.inline_bytes, 'base64').toString() : undefined);

/** The SDS secrets Envoy has accepted (`dynamic_active_secrets`). */
export async function envoySecrets(envoy: Envoy): Promise<DumpedSecret[]> {
  const dump = await envoy.configDump();
  const section = dump.configs.find((c) => c['@type'].endsWith('.SecretsConfigDump')) as {
    dynamic_active_secrets?: {
      name: string;
      version_info?: string;
      secret?: {
        tls_certificate?: { certificate_chain?: { inline_bytes?: string }; private_key?: { inline_bytes?: string; inline_string?: string } };
        validation_context?: { trusted_ca?: { inline_bytes?: string } };
      };
    }[];
  } | undefined;
  return (section?.dynamic_active_secrets ?? []).map((s) => ({
    name: s.name,
    versionInfo: s.version_info,
    certificateChain: text(s.secret?.tls_certificate?.certificate_chain),
    privateKey: text(s.secret?.tls_certificate?.private_key),
    trustedCa: text(s.secret?.validation_context?.trusted_ca),
  }));
}
