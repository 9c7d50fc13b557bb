/**
 * The flags every Tandem service's `node` runs with, wherever it runs: the image's
 * ENTRYPOINT (deploy/docker/Dockerfile; a test holds the two equal), `npm start` and
 * `npm run bench`, so what is measured is what ships.
 * - `--enable-source-maps`: stack traces point into the TypeScript sources.
 * - `--max-semi-space-size=16` (MiB): V8's young generation. Under a container memory limit
 *   Node sizes the heap from the limit, and under the 256 MiB of deploy/ V8 kept the young
 *   generation so small that scavenges took 11–15 % of a busy service's CPU. With 16 MiB, in a
 *   memory cgroup of 256 MiB (as deployed): 37–46 % more orders per second, 25–42 % less CPU
 *   per order in each service, peak memory 112–158 MiB instead of 84–124; on an unlimited
 *   host 7–19 % more orders per second (docs/benchmarks/ab-semi-space.md).
 */
export const NODE_FLAGS: readonly string[] = ['--enable-source-maps', '--max-semi-space-size=16'];
