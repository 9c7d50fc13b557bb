import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { workspaceRoot } from '@tandem/testing';
import { parse } from 'yaml';
import { dockerAvailable, JAEGER_PORTS, jaegerImage, jaegerRunArgs, jaegerServiceEnv, noDockerMessage } from './jaeger';

describe('npm start -- --jaeger', () => {
  const root = workspaceRoot(__dirname);

  it('runs the Jaeger image deploy/ runs', () => {
    const docs = readFileSync(join(root, 'deploy', 'observability', 'jaeger.yaml'), 'utf8')
      .split(/^---$/m)
      .map((doc) => parse(doc) as { kind?: string; spec?: { template?: { spec?: { containers?: Array<{ image: string }> } } } } | null);
    const deployed = docs.find((d) => d?.kind === 'Deployment')?.spec?.template?.spec?.containers?.[0]?.image;
    expect(deployed).toMatch(/^jaegertracing\/jaeger:2\./);
    expect(jaegerImage(root)).toBe(deployed);
  });

  it('publishes OTLP and the UI on 127.0.0.1 only, in the foreground, removed when it stops', () => {
    const args = jaegerRunArgs('jaegertracing/jaeger:2.21.0', 'tandem-jaeger-1');
    expect(args.slice(0, 4)).toEqual(['run', '--rm', '--name', 'tandem-jaeger-1']);
    expect(args).not.toContain('-d');
    const published = args.flatMap((a, i) => (args[i - 1] === '-p' ? [a] : []));
    expect(published).toEqual(['127.0.0.1:4317:4317', '127.0.0.1:4318:4318', '127.0.0.1:16686:16686']);
    expect(args.at(-1)).toBe('jaegertracing/jaeger:2.21.0');
  });

  it('points every service at it and records every trace', () => {
    expect(jaegerServiceEnv()).toEqual({
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${JAEGER_PORTS.otlpHttp}`,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_TRACES_SAMPLER: 'parentbased_always_on',
    });
  });

  it('knows when there is no Docker, and says in one line how to send traces elsewhere', async () => {
    const missing = await dockerAvailable('/nonexistent/docker');
    expect(missing).toEqual({ ok: false, reason: 'no /nonexistent/docker command' });
    const failing = await dockerAvailable('false');
    expect(failing.ok).toBe(false);
    const message = noDockerMessage('no docker command');
    expect(message.split('\n')).toHaveLength(1);
    expect(message).toContain('OTEL_EXPORTER_OTLP_ENDPOINT=http://<collector>:4318 npm start');
  });
});
