import { enableCompileCache } from 'node:module';

/**
 * Second entry (`@tandem/runtime/boot`), imported first by every app's main.ts: turns on
 * Node's on-disk compile cache for every module loaded after it, so a restart skips
 * compiling Fastify, OpenTelemetry, nats.js and the rest again (what it saves:
 * docs/benchmarks). The cache lives in `NODE_COMPILE_CACHE` when set,
 * else in `<tmpdir>/node-compile-cache`; where that cannot be written (a read-only root
 * filesystem without a writable /tmp) Node caches nothing and nothing fails.
 */
enableCompileCache();
