import type { Rule, RuleFinding } from '../rule';

import { tandemApp } from '../rule';

/**
 * Images name a version (tag or digest), never `latest` or nothing; and where an overlay moves
 * Tandem's images to a registry, it moves every one of them (one left as `tandem/<name>` would
 * be pulled from Docker Hub, where anyone may publish that name).
 */
export const imagePinned: Rule = {
  name: 'image-pinned',
  description: 'every image is pinned to a tag or digest other than latest; Tandem images all come from the same place',
  check(set) {
    const findings: RuleFinding[] = [];
    const pods = [...set.workloads(), ...set.jobs()];
    const images = pods.flatMap((w) => w.containers.map(({ container }) => String(container['image'] ?? '')));
    const moved = images.some((image) => tandemApp(image) && !/^tandem\//.test(image));
    for (const workload of pods) {
      for (const { container, path } of workload.containers) {
        const image = container['image'];
        if (moved && typeof image === 'string' && tandemApp(image) && /^tandem\//.test(image)) {
          findings.push({
            object: workload.object,
            path: [...path, 'image'],
            message: `image ${image} is not moved to the registry the other Tandem images come from: it would be pulled from Docker Hub (add it to the overlay's images:)`,
          });
        }
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
