import type { AuditRule } from './audit-rule.js';
import { auditIncompleteRule } from './rules/audit-incomplete.js';
import { certificateExpiryRule } from './rules/certificate-expiry.js';
import { clusterWithoutTenantRule } from './rules/cluster-without-tenant.js';
import { clusterOutsideTenancyRule } from './rules/cluster-outside-tenancy.js';
import { v2KeysOpenRule } from './rules/v2-keys-open.js';
import { unknownWriterRule } from './rules/unknown-writer.js';
import { unknownClientRule } from './rules/unknown-client.js';
import { clientRoleWiderThanDeclaredRule } from './rules/client-role-wider-than-declared.js';
import { etcdAuthOffRule } from './rules/etcd-auth-off.js';
import { etcdBasicAuthWithClientCertRule } from './rules/etcd-basic-auth-with-client-cert.js';
import { etcdClientCertNotEnforcedRule } from './rules/etcd-client-cert-not-enforced.js';
import { etcdPlainHttpRule } from './rules/etcd-plain-http.js';
import { etcdUserSharedRule } from './rules/etcd-user-shared.js';
import { etcdVersionBreaksPatroniAuthRule } from './rules/etcd-version-breaks-patroni-auth.js';
import { fileModeNot0600Rule } from './rules/file-mode-not-0600.js';
import { fileOwnerNotPatroniUserRule } from './rules/file-owner-not-patroni-user.js';
import { jwtTokensWithOldPatroniRule } from './rules/jwt-tokens-with-old-patroni.js';
import { passwordInCommandLineRule } from './rules/password-in-command-line.js';
import { passwordWorldReadableRule } from './rules/password-world-readable.js';
import { patroniUsesRootRule } from './rules/patroni-uses-root.js';
import { pgRewindOffRule } from './rules/pg-rewind-off.js';
import { restapiBasicAuthWithoutTlsRule } from './rules/restapi-basic-auth-without-tls.js';
import { restapiNetworkListenWithoutTlsRule } from './rules/restapi-network-listen-without-tls.js';
import { restapiPgfleetRefusedRule } from './rules/restapi-pgfleet-refused.js';
import { restapiSafeEndpointsAnonymousRule } from './rules/restapi-safe-endpoints-anonymous.js';
import { restapiTlsWithoutClientVerificationRule } from './rules/restapi-tls-without-client-verification.js';
import { restapiUnsafeEndpointsOpenRule } from './rules/restapi-unsafe-endpoints-open.js';
import { restapiVerifyRequiredWithoutCtlCertsRule } from './rules/restapi-verify-required-without-ctl-certs.js';
import { roleRangeTooWideRule } from './rules/role-range-too-wide.js';
import { templateSetsManagedKeyRule } from './rules/template-sets-managed-key.js';
import { watchdogOffRule } from './rules/watchdog-off.js';

/** Every audit rule, in the order `pgfleet audit` documents them (DCS, REST API, files, operations, the audit itself). */
export const AUDIT_RULES: readonly AuditRule[] = [
  etcdAuthOffRule,
  etcdPlainHttpRule,
  etcdClientCertNotEnforcedRule,
  etcdBasicAuthWithClientCertRule,
  patroniUsesRootRule,
  etcdUserSharedRule,
  roleRangeTooWideRule,
  clusterWithoutTenantRule,
  clusterOutsideTenancyRule,
  v2KeysOpenRule,
  unknownWriterRule,
  unknownClientRule,
  clientRoleWiderThanDeclaredRule,
  jwtTokensWithOldPatroniRule,
  etcdVersionBreaksPatroniAuthRule,
  restapiUnsafeEndpointsOpenRule,
  restapiBasicAuthWithoutTlsRule,
  restapiTlsWithoutClientVerificationRule,
  restapiVerifyRequiredWithoutCtlCertsRule,
  restapiPgfleetRefusedRule,
  restapiSafeEndpointsAnonymousRule,
  restapiNetworkListenWithoutTlsRule,
  fileModeNot0600Rule,
  fileOwnerNotPatroniUserRule,
  passwordWorldReadableRule,
  certificateExpiryRule,
  templateSetsManagedKeyRule,
  watchdogOffRule,
  pgRewindOffRule,
  passwordInCommandLineRule,
  auditIncompleteRule,
];

export function ruleById(id: string): AuditRule | undefined {
  return AUDIT_RULES.find((rule) => rule.id === id);
}
