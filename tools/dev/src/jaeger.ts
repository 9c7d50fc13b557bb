import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Jaeger's ports on 127.0.0.1 while `npm start -- --jaeger` runs. */
export const JAEGER_PORTS = { otlpGrpc: 4317, otlpHttp: 4318, ui: 16686 } as const;

/** The Jaeger image deploy/ runs (deploy/observability/jaeger.yaml), so local traces look as in the cluster. */
export function jaegerImage(root: string): string {
  const manifest = readFileSync(join(root, 'deploy', 'observability', 'jaeger.yaml'), 'utf8');
  const image = /^\s*image:\s*(jaegertracing\/jaeger:\S+)\s*$/m.exec(manifest)?.[1];
  if (!image) throw new Error('deploy/observability/jaeger.yaml names no jaegertracing/jaeger image');
  return image;
}

/** Whether a Docker engine answers (`docker info`), and if not, why, in a few words. */
export function dockerAvailable(docker: string): Promise<{ ok: true } | { ok: false; reason: string }> {
  return new Promise((resolve) => {
    execFile(docker, ['info', '--format', '{{.ServerVersion}}'], { timeout: 10_000 }, (error, _stdout, stderr) => {
      if (!error) return resolve({ ok: true });
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return resolve({ ok: false, reason: `no ${docker} command` });
      const firstLine = String(stderr).trim().split('\n')[0] || error.message;
      resolve({ ok: false, reason: `${docker} info failed: ${firstLine}` });
    });
  });
}

/** The one line `--jaeger` prints without Docker: what is missing and how to send traces to a collector instead. */
export function noDockerMessage(reason: string): string {
  return `npm start: --jaeger needs a Docker engine (${reason}); without one, run an OTLP collector yourself and start with OTEL_EXPORTER_OTLP_ENDPOINT=http://<collector>:4318 npm start`;
}

/** `docker run` of Jaeger in the foreground (removed when it stops; Ctrl-C reaches it through the supervisor). */
export function jaegerRunArgs(image: string, name: string): string[] {
  const publish = Object.values(JAEGER_PORTS).flatMap((port) => ['-p', `127.0.0.1:${port}:${port}`]);
  return ['run', '--rm', '--name', name, ...publish, image];
}

/** What the services get with `--jaeger`: export every trace over OTLP/HTTP to the local Jaeger. */
export function jaegerServiceEnv(): Record<string, string> {
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${JAEGER_PORTS.otlpHttp}`,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_TRACES_SAMPLER: 'parentbased_always_on',
  };
}
