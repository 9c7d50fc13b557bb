/**
 * The flags every Tandem service's `node` runs with, wherever it runs: the image's
 * ENTRYPOINT (deploy/docker/Dockerfile; a test holds the two equal), `npm start` and
 * `npm run bench`, so what is measured is what ships.
 * - `--enable-source-maps`: stack traces point into the TypeScript sources.
 * - `--max-semi-space-size=8` (MiB): caps V8's young generation. On a machine with memory to
 *   spare, Node 24 grows it under load to well over 100 MiB committed that is never given
 *   back; at 8 MiB the services' RSS after load is about 100 MiB lower at the same
 *   throughput (docs/benchmarks).
 */
export const NODE_FLAGS: readonly string[] = ['--enable-source-maps', '--max-semi-space-size=8'];
