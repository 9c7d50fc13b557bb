/**
 * The flags every Tandem service's `node` runs with, wherever it runs: the image's
 * ENTRYPOINT (deploy/docker/Dockerfile; a test holds the two equal), `npm start` and
 * `npm run bench`, so what is measured is what ships.
 * - `--enable-source-maps`: stack traces point into the TypeScript sources.
 *
 * Deliberately not here: `--max-semi-space-size`. At 8 or 16 MiB it cut RSS after load by
 * 20–40 % on the 24 GiB bench machine but cost 10–19 % more CPU per request (A/B runs,
 * docs/benchmarks). In a container Node sizes the heap from the cgroup limit anyway: under
 * a 256 MiB limit, as in deploy/, the services peaked at 75–110 MiB under the same load.
 */
export const NODE_FLAGS: readonly string[] = ['--enable-source-maps'];
