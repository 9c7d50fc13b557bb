import { asArray, getPath } from '../model';
import type { Rule, RuleFinding } from '../rule';

/**
 * A pod that must run as root says why in this annotation (e.g. the log collector reading the
 * kubelet's root-owned files); its containers are then not held to non-root. Everything else
 * still applies to them.
 */
export const RUNS_AS_ROOT = 'tandem.dev/runs-as-root';

/** Containers run as non-root (unless the pod says why not) with a read-only root filesystem, no privilege escalation and no capabilities. */
export const workloadSecurity: Rule = {
  name: 'workload-security',
  description:
    'every container runs non-root (or its pod says why not in tandem.dev/runs-as-root), read-only root filesystem, no privilege escalation, all capabilities dropped, seccomp RuntimeDefault',
  check(set) {
    const findings: RuleFinding[] = [];
    for (const workload of [...set.workloads(), ...set.jobs()]) {
      const pod = workload.podSpec['securityContext'];
      const seccompPod = getPath(pod, ['seccompProfile', 'type']);
      const rootReason = workload.annotations[RUNS_AS_ROOT];
      if (rootReason !== undefined && rootReason.trim() === '')
        findings.push({
          object: workload.object,
          path: ['spec', 'template', 'metadata', 'annotations', RUNS_AS_ROOT],
          message: `${RUNS_AS_ROOT} is empty: say why this pod must run as root, or run it as another user`,
        });
      for (const { container, path } of workload.containers) {
        const context = container['securityContext'];
        const at = [...path, 'securityContext'];
        const name = `container "${String(container['name'])}"`;
        const effective = (field: string) => getPath(context, [field]) ?? getPath(pod, [field]);
        if (rootReason === undefined) {
          if (effective('runAsNonRoot') !== true)
            findings.push({
              object: workload.object,
              path: [...at, 'runAsNonRoot'],
              message: `${name} may run as root: set runAsNonRoot: true (pod or container)`,
            });
          if (effective('runAsUser') === 0)
            findings.push({ object: workload.object, path: [...at, 'runAsUser'], message: `${name} runs as user 0` });
        }
        if (getPath(context, ['readOnlyRootFilesystem']) !== true)
          findings.push({
            object: workload.object,
            path: [...at, 'readOnlyRootFilesystem'],
            message: `${name} has a writable root filesystem: set readOnlyRootFilesystem: true`,
          });
        if (getPath(context, ['allowPrivilegeEscalation']) !== false)
          findings.push({
            object: workload.object,
            path: [...at, 'allowPrivilegeEscalation'],
            message: `${name} allows privilege escalation: set allowPrivilegeEscalation: false`,
          });
        if (getPath(context, ['privileged']) === true)
          findings.push({ object: workload.object, path: [...at, 'privileged'], message: `${name} is privileged` });
        if (!asArray(getPath(context, ['capabilities', 'drop'])).includes('ALL'))
          findings.push({
            object: workload.object,
            path: [...at, 'capabilities', 'drop'],
            message: `${name} keeps Linux capabilities: drop ALL`,
          });
        if (asArray(getPath(context, ['capabilities', 'add'])).length > 0)
          findings.push({ object: workload.object, path: [...at, 'capabilities', 'add'], message: `${name} adds Linux capabilities` });
        if (
          (getPath(context, ['seccompProfile', 'type']) ?? seccompPod) !== 'RuntimeDefault' &&
          (getPath(context, ['seccompProfile', 'type']) ?? seccompPod) !== 'Localhost'
        ) {
          findings.push({
            object: workload.object,
            path: [...workload.podSpecPath, 'securityContext', 'seccompProfile'],
            message: `${name} has no seccomp profile: set seccompProfile.type RuntimeDefault`,
          });
        }
      }
    }
    return findings;
  },
};
