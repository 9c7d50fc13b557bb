import { asArray, getPath, isRecord, nameOf, namespaceOf } from '../model';
import type { Rule, RuleFinding } from '../rule';

/**
 * ServiceAccounts that istioctl and KEDA's release manifest create (kind:up installs both),
 * which a render of Tandem's manifests cannot contain.
 */
const PLATFORM_ACCOUNTS = new Set([
  'istio-system/istio-ingressgateway-service-account',
  'istio-system/istio-egressgateway-service-account',
  'keda/keda-operator',
]);
const PRINCIPAL = /^[^/]+\/ns\/([^/]+)\/sa\/([^/]+)$/;

/** AuthorizationPolicy principals name ServiceAccounts that exist (a typo there silently denies everyone). */
export const authzPrincipals: Rule = {
  name: 'authz-principals',
  description: 'AuthorizationPolicy principals name ServiceAccounts that exist',
  check(set) {
    const findings: RuleFinding[] = [];
    const accounts = new Set(set.ofKind('ServiceAccount').map((sa) => `${namespaceOf(sa)}/${nameOf(sa)}`));
    for (const policy of set.ofKind('AuthorizationPolicy')) {
      asArray(getPath(policy, ['spec', 'rules'])).forEach((rule, ruleIndex) => {
        asArray(isRecord(rule) ? rule['from'] : undefined).forEach((from, fromIndex) => {
          for (const field of ['principals', 'notPrincipals']) {
            asArray(getPath(from, ['source', field])).forEach((principal, index) => {
              if (typeof principal !== 'string' || principal.includes('*')) return;
              const path = ['spec', 'rules', ruleIndex, 'from', fromIndex, 'source', field, index];
              const match = PRINCIPAL.exec(principal);
              if (!match) {
                findings.push({
                  object: policy,
                  path,
                  message: `principal "${principal}" is not of the form <trust-domain>/ns/<namespace>/sa/<service-account>`,
                });
                return;
              }
              const account = `${match[1]}/${match[2]}`;
              if (!accounts.has(account) && !PLATFORM_ACCOUNTS.has(account)) {
                findings.push({
                  object: policy,
                  path,
                  message: `principal "${principal}" names ServiceAccount ${account}, which does not exist`,
                });
              }
            });
          }
        });
      });
    }
    return findings;
  },
};
