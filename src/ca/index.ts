export { CertificateAuthority, type CaOptions, type CaPem, type ServingCert } from './ca';
