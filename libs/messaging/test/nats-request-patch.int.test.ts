import { join, dirname } from 'node:path';
import { connect, errors, type NatsConnection } from '@nats-io/transport-node';
import { NatsServer } from '@tandem/testing';
import { natsRequestPatch } from '../src/nats-request-patch';

// nats.js's own errors module, as request.js sees it (the package's export map hides it).
const errorsModule = require(join(dirname(require.resolve('@nats-io/nats-core')), 'errors.js')) as {
  RequestError: typeof errors.RequestError;
};

/** Counts the RequestErrors nats.js builds while `run` runs. */
async function countRequestErrors(run: () => Promise<void>): Promise<number> {
  const Upstream = errorsModule.RequestError;
  let built = 0;
  errorsModule.RequestError = class Counted extends Upstream {
    constructor(...args: ConstructorParameters<typeof Upstream>) {
      super(...args);
      built++;
    }
  };
  try {
    await run();
  } finally {
    errorsModule.RequestError = Upstream;
  }
  return built;
}

function pendingRequests(nc: NatsConnection): number {
  return (nc as unknown as { protocol: { muxSubscriptions: { size(): number } } }).protocol.muxSubscriptions.size();
}

describe('the nats.js request patch (real nats-server)', () => {
  let server: NatsServer;
  let nc: NatsConnection;

  beforeAll(async () => {
    server = await NatsServer.start();
    // As NatsConnectionComponent connects: no async traces.
    nc = await connect({ servers: server.url, noAsyncTraces: true });
    nc.subscribe('patch.echo', {
      callback: (_err, msg) => {
        msg.respond(msg.data);
      },
    });
    nc.subscribe('patch.silent', { callback: () => undefined });
    await nc.flush();
  });

  afterAll(async () => {
    await nc?.close();
    await server?.stop();
  });

  it('is applied to the pinned nats.js', () => {
    expect(natsRequestPatch).toEqual({ applied: true, reason: 'applied' });
  });

  it('builds no throw-away error for a request that is answered, and leaves nothing pending', async () => {
    const answers: string[] = [];
    const built = await countRequestErrors(async () => {
      for (let i = 0; i < 50; i++)
        answers.push(new TextDecoder().decode((await nc.request('patch.echo', `m${i}`, { timeout: 5_000 })).data));
    });
    expect(answers).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`));
    expect(built).toBe(0);
    expect(pendingRequests(nc)).toBe(0);
  });

  it('still fails a request nobody answers in time with a timeout, and one nobody listens to as no responders', async () => {
    await expect(nc.request('patch.silent', 'x', { timeout: 200 })).rejects.toBeInstanceOf(errors.TimeoutError);
    const noResponders = await nc.request('patch.nobody', 'x', { timeout: 2_000 }).catch((e: unknown) => e);
    expect(noResponders).toBeInstanceOf(errors.RequestError);
    expect((noResponders as InstanceType<typeof errors.RequestError>).isNoResponders()).toBe(true);
    expect(pendingRequests(nc)).toBe(0);
  });

  it('still rejects a request cancelled before its answer (the connection closing)', async () => {
    const other = await connect({ servers: server.url, noAsyncTraces: true });
    const pending = other.request('patch.silent', 'x', { timeout: 30_000 });
    const outcome = pending.then(
      () => 'answered',
      (e: unknown) => (e instanceof Error ? e.name : String(e)),
    );
    await other.close();
    await expect(outcome).resolves.not.toBe('answered');
  });
});
