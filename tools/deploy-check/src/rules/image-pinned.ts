import type { Rule, RuleFinding } from '../rule';

/** Images name a version (tag or digest), never `latest` or nothing. */
export const imagePinned: Rule = {
  name: 'image-pinned',
  description: 'every image is pinned to a tag or digest other than latest',
  check(set) {
    const findings: RuleFinding[] = [];
    for (const workload of set.workloads()) {
      for (const { container, path } of workload.containers) {
        const image = container['image'];
        if (typeof image !== 'string' || image === '') {
          findings.push({
            object: workload.object,
            path: [...path, 'image'],
            message: `container "${String(container['name'])}" has no image`,
          });
          continue;
        }
        if (image.includes('@sha256:')) continue;
        const lastSegment = image.slice(image.lastIndexOf('/') + 1);
        const tag = lastSegment.includes(':') ? lastSegment.slice(lastSegment.indexOf(':') + 1) : undefined;
        if (tag === undefined || tag === 'latest') {
          findings.push({
            object: workload.object,
            path: [...path, 'image'],
            message: `image ${image} is not pinned: ${tag ? '"latest"' : 'no tag'} changes under you; use a version tag or a digest`,
          });
        }
      }
    }
    return findings;
  },
};
