import { freePort, NatsServer, waitFor } from '@tandem/testing';
import { deadlineIn, type StartContext } from '@tandem/runtime';
import pino from 'pino';
import { NatsConnectionComponent } from '../src/nats-connection.component';

const fast = { initialMs: 100, secondMs: 200, factor: 1.5, maxMs: 500, jitter: 0.2 };

function context(failures: Error[] = []): StartContext {
  return { signal: new AbortController().signal, logger: pino({ level: 'silent' }), fail: (e) => failures.push(e) };
}

describe('NatsConnectionComponent against a real nats-server', () => {
  let server: NatsServer | undefined;
  let component: NatsConnectionComponent | undefined;

  afterEach(async () => {
    await component?.stop(deadlineIn(5_000));
    await server?.cleanup();
    server = undefined;
    component = undefined;
  });

  it('starts without a broker, reports not ready, and becomes ready once the broker appears', async () => {
    const port = await freePort();
    component = new NatsConnectionComponent({ servers: [`nats://127.0.0.1:${port}`], clientName: 'test', backoff: fast });
    await component.start(context()); // resolves although no broker exists yet
    expect(component.health().ready).toBe(false);
    await waitFor(() => /cannot connect/.test(component?.health().detail ?? ''), { description: 'a failed first attempt' });
    expect(component.health().ready).toBe(false);

    server = await NatsServer.start({ port });
    await waitFor(() => component?.health().ready, { description: 'ready after the broker starts', timeoutMs: 15_000 });
    expect(component.health().detail).toBe(`connected to 127.0.0.1:${port}`);
  });

  it('survives a broker killed with SIGKILL and resumes by itself on the same connection', async () => {
    server = await NatsServer.start();
    const failures: Error[] = [];
    component = new NatsConnectionComponent({ servers: [server.url], clientName: 'test', backoff: fast });
    await component.start(context(failures));
    await waitFor(() => component?.health().ready, { description: 'first connection' });
    const connection = component.connection();

    await server.kill();
    await waitFor(() => component?.health().ready === false, { description: 'not ready after the kill' });
    expect(component.health().detail).toMatch(/disconnected|reconnecting/);

    await server.restart();
    await waitFor(() => component?.health().ready, { description: 'ready after the restart', timeoutMs: 15_000 });
    expect(component.connection()).toBe(connection);
    expect(failures).toEqual([]);
    // the connection really works again: a request to the server's own API answers
    const nc = component.connection();
    await expect(nc?.rtt()).resolves.toBeGreaterThanOrEqual(0);
  });

  it('drains on stop: a message published just before stop still reaches its subscriber', async () => {
    server = await NatsServer.start();
    component = new NatsConnectionComponent({ servers: [server.url], clientName: 'test', backoff: fast });
    await component.start(context());
    const nc = await component.whenConnected();
    const received: string[] = [];
    const sub = nc.subscribe('drain.test', {
      callback: (_err, msg) => {
        received.push(msg.string());
      },
    });
    nc.publish('drain.test', 'last words');
    await component.stop(deadlineIn(5_000));
    expect(received).toEqual(['last words']);
    expect(sub.isClosed()).toBe(true);
    expect(nc.isClosed()).toBe(true);
    expect(component.health()).toEqual({ ready: false, detail: 'stopped' });
  });

  it('stops at once while the broker is unreachable instead of waiting out the deadline', async () => {
    server = await NatsServer.start();
    component = new NatsConnectionComponent({ servers: [server.url], clientName: 'test', backoff: fast });
    await component.start(context());
    await waitFor(() => component?.health().ready, { description: 'connected' });
    await server.kill();
    await waitFor(() => component?.health().ready === false, { description: 'disconnected' });
    const started = Date.now();
    await component.stop(deadlineIn(40_000));
    expect(Date.now() - started).toBeLessThan(20_000); // closed, not drained until the deadline
  });
});
