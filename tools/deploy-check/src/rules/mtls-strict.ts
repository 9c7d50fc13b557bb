import { asArray, getPath, isRecord, nameOf, namespaceOf, type FieldPath } from '../model';
import type { Rule, RuleFinding } from '../rule';

/** Namespaces with sidecar injection require mutual TLS, and no DestinationRule turns TLS off. */
export const mtlsStrict: Rule = {
  name: 'mtls-strict',
  description:
    'every namespace with sidecar injection has PeerAuthentication STRICT; no PeerAuthentication relaxes it and no DestinationRule disables TLS',
  check(set) {
    const findings: RuleFinding[] = [];
    const peerAuthentications = set.ofKind('PeerAuthentication');
    for (const namespace of set.ofKind('Namespace')) {
      if (getPath(namespace, ['metadata', 'labels', 'istio-injection']) !== 'enabled') continue;
      const name = nameOf(namespace);
      const strict = peerAuthentications.some(
        (pa) =>
          namespaceOf(pa) === name && getPath(pa, ['spec', 'selector']) === undefined && getPath(pa, ['spec', 'mtls', 'mode']) === 'STRICT',
      );
      if (!strict) {
        findings.push({
          object: namespace,
          path: ['metadata', 'labels', 'istio-injection'],
          message: `namespace ${name} has sidecars but no namespace-wide PeerAuthentication with mtls.mode STRICT`,
        });
      }
    }
    for (const pa of peerAuthentications) {
      const mode = getPath(pa, ['spec', 'mtls', 'mode']);
      if (mode !== undefined && mode !== 'STRICT' && mode !== 'UNSET') {
        findings.push({
          object: pa,
          path: ['spec', 'mtls', 'mode'],
          message: `mtls.mode ${String(mode)} accepts plain-text traffic; Tandem requires STRICT`,
        });
      }
      const ports = getPath(pa, ['spec', 'portLevelMtls']);
      if (isRecord(ports)) {
        for (const [port, setting] of Object.entries(ports)) {
          const portMode = getPath(setting, ['mode']);
          if (portMode !== 'STRICT' && portMode !== 'UNSET') {
            findings.push({
              object: pa,
              path: ['spec', 'portLevelMtls', port, 'mode'],
              message: `port ${port} accepts plain-text traffic (mode ${String(portMode)})`,
            });
          }
        }
      }
    }
    for (const rule of set.ofKind('DestinationRule')) {
      const policies: FieldPath[] = [['spec', 'trafficPolicy']];
      asArray(getPath(rule, ['spec', 'trafficPolicy', 'portLevelSettings'])).forEach((_, index) =>
        policies.push(['spec', 'trafficPolicy', 'portLevelSettings', index]),
      );
      asArray(getPath(rule, ['spec', 'subsets'])).forEach((_, index) => {
        policies.push(['spec', 'subsets', index, 'trafficPolicy']);
        asArray(getPath(rule, ['spec', 'subsets', index, 'trafficPolicy', 'portLevelSettings'])).forEach((__, port) =>
          policies.push(['spec', 'subsets', index, 'trafficPolicy', 'portLevelSettings', port]),
        );
      });
      for (const path of policies) {
        const mode = getPath(rule, [...path, 'tls', 'mode']);
        if (mode === 'DISABLE' || mode === 'SIMPLE' || mode === 'MUTUAL') {
          findings.push({
            object: rule,
            path: [...path, 'tls', 'mode'],
            message: `tls.mode ${String(mode)} replaces Istio mutual TLS; against a STRICT server every call fails with 503 — use ISTIO_MUTUAL or leave it unset`,
          });
        }
      }
    }
    return findings;
  },
};
