/** Renewal of the certificates Patroni uses, as other features and library callers use it. */
export {
  RENEWED_USES,
  renewCertificates,
  type RenewalReport,
  type RenewalRequest,
  type RenewedUse,
} from './certificate-renewal.js';
