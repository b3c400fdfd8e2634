export { CertificateAuthority, type CaOptions, type CaPem, type ServingCert } from './ca';
export { RenewingCert, type RenewingCertOptions } from './renewing-cert';
