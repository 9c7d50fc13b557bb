import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { workspaceRoot } from '@tandem/testing';

/** deploy/kind/cluster.yaml publishes the Istio ingress gateway's NodePort on 127.0.0.1:8080, and only there. */
const root = workspaceRoot();
interface KindNode {
  role: string;
  image?: string;
  extraPortMappings?: Array<{ containerPort: number; hostPort: number; listenAddress?: string; protocol?: string }>;
}
const kind = parse(readFileSync(join(root, 'deploy/kind/cluster.yaml'), 'utf8')) as { kind: string; apiVersion: string; nodes: KindNode[] };

describe('deploy/kind/cluster.yaml', () => {
  it('is a kind v1alpha4 Cluster with one control plane and a worker for each NATS server (their anti-affinity is required)', () => {
    expect(kind).toMatchObject({ kind: 'Cluster', apiVersion: 'kind.x-k8s.io/v1alpha4' });
    const nats = parseAllDocuments(readFileSync(join(root, 'deploy/k8s/base/nats.yaml'), 'utf8'))
      .map((d) => d.toJS() as { kind?: string; spec?: { replicas?: number } })
      .find((o) => o?.kind === 'StatefulSet');
    const servers = nats?.spec?.replicas ?? 0;
    expect(servers).toBe(3);
    expect(kind.nodes.filter((n) => n.role === 'control-plane')).toHaveLength(1);
    expect(kind.nodes.filter((n) => n.role === 'worker').length).toBeGreaterThanOrEqual(servers);
  });

  it('maps 127.0.0.1:8080 to the NodePort that the IstioOperator gives the ingress gateway for HTTP', () => {
    const operator = parse(readFileSync(join(root, 'deploy/istio/install/istio-operator.yaml'), 'utf8')) as {
      spec: {
        components: {
          ingressGateways: Array<{
            name: string;
            k8s: { service: { type: string; ports: Array<{ name: string; port: number; nodePort?: number }> } };
          }>;
        };
      };
    };
    const gateway = operator.spec.components.ingressGateways.find((g) => g.name === 'istio-ingressgateway');
    expect(gateway?.k8s.service.type).toBe('NodePort');
    const http = gateway?.k8s.service.ports.find((p) => p.port === 80);
    expect(http?.nodePort).toBeDefined();

    const mappings = kind.nodes.flatMap((n) => (n.extraPortMappings ?? []).map((m) => ({ role: n.role, ...m })));
    expect(mappings).toEqual([
      { role: 'control-plane', containerPort: http?.nodePort, hostPort: 8080, listenAddress: '127.0.0.1', protocol: 'TCP' },
    ]);
  });

  // deploy:check validates the manifests against vendored schemas of one Kubernetes and one Istio release:
  // the cluster kind:up makes must run those releases, or a manifest that passes may still be refused.
  it('runs the Kubernetes and Istio releases whose schemas deploy:check vendors', () => {
    const vendored = readdirSync(join(root, 'tools/deploy-check/src/schemas'));
    const kubernetes = vendored.map((f) => /^kubernetes-(\d+\.\d+)\.json$/.exec(f)?.[1]).filter(Boolean);
    const istio = vendored.map((f) => /^istio-(\d+)\.(\d+)\.\d+\.json$/.exec(f)).filter((m) => m !== null);
    expect(kubernetes).toHaveLength(1);
    expect(istio).toHaveLength(1);
    for (const node of kind.nodes) {
      expect(node.image).toMatch(new RegExp(`^kindest/node:v${(kubernetes[0] ?? '').replace('.', '\\.')}\\.\\d+@sha256:[0-9a-f]{64}$`));
    }
    const prerequisites = readFileSync(join(root, 'tools/kind/prerequisites.sh'), 'utf8');
    const [, major, minor] = istio[0] ?? [];
    expect(prerequisites).toContain(`TANDEM_ISTIOCTL_MIN=${major}.${minor}.0\n`);
    expect(prerequisites).toContain(`TANDEM_ISTIOCTL_BELOW=${major}.${Number(minor) + 1}.0\n`);
    // …and the KEDA release whose ScaledObject schema it vendors.
    const keda = vendored.map((f) => /^keda-(\d+\.\d+\.\d+)\.json$/.exec(f)?.[1]).filter(Boolean);
    expect(keda).toHaveLength(1);
    expect(readFileSync(join(root, 'tools/kind/up.sh'), 'utf8')).toContain(`\nkeda_version=${keda[0]}\n`);
  });
});
