/**
 * The flags every Tandem service's `node` runs with, wherever it runs: the image's
 * ENTRYPOINT (deploy/docker/Dockerfile; a test holds the two equal), `npm start` and
 * `npm run bench`, so what is measured is what ships. `--enable-source-maps` points stack
 * traces into the TypeScript sources; `--max-semi-space-size=16` keeps V8's young generation
 * from being sized so small under a container memory limit that scavenges eat the CPU
 * (measured: docs/benchmarks/ab-semi-space.md).
 */
export const NODE_FLAGS: readonly string[] = ['--enable-source-maps', '--max-semi-space-size=16'];
