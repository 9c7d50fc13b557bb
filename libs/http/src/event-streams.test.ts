import { request, type IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { deadlineIn } from '@tandem/runtime';
import { EventStreamHub, formatServerSentEvent, type EventStream } from './event-streams';

/** A raw client: the bytes as they arrive, and when the response ended. */
function openRaw(url: string): Promise<{ received: () => string; ended: Promise<number>; pause: () => void; destroy: () => void }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (response) => {
      let text = '';
      response.setEncoding('latin1');
      response.on('data', (chunk: string) => (text += chunk));
      const ended = new Promise<number>((done) => {
        response.once('end', () => done(Date.now()));
        response.once('error', () => done(Date.now()));
        response.once('aborted', () => done(Date.now()));
      });
      resolve({ received: () => text, ended, pause: () => response.pause(), destroy: () => response.destroy() });
    });
    req.once('error', reject);
    req.end();
  });
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('formatServerSentEvent', () => {
  it('writes id, event and one data line per line of data, ending with a blank line', () => {
    expect(formatServerSentEvent({ id: 'accepted', event: 'accepted', data: '{"a":1}\nsecond\r\nthird' })).toBe(
      'id: accepted\nevent: accepted\ndata: {"a":1}\ndata: second\ndata: third\n\n',
    );
    expect(formatServerSentEvent({ data: '' })).toBe('data: \n\n');
  });

  it('refuses an id or event name that would break the frame', () => {
    expect(() => formatServerSentEvent({ id: 'a\nretry: 1', data: '' })).toThrow('server-sent event id must be one line without NUL');
    expect(() => formatServerSentEvent({ event: 'x\r', data: '' })).toThrow('server-sent event event must be one line');
  });
});

describe('EventStreamHub', () => {
  let app: FastifyInstance;
  let hub: EventStreamHub;
  let url: string;
  const opened: EventStream[] = [];
  const late: EventStream[] = [];
  let source: PassThrough | undefined;
  const gate: { opened: Promise<void>; open: () => void } = { opened: Promise.resolve(), open: () => undefined };

  async function serve(options: ConstructorParameters<typeof EventStreamHub>[0]): Promise<void> {
    hub = new EventStreamHub(options);
    await hub.start({ signal: new AbortController().signal, logger: pino({ level: 'silent' }), fail: () => undefined });
    app = Fastify({ logger: false });
    app.get('/events', async (req, reply) => {
      if (hub.closing) return hub.handOff(reply);
      const stream = hub.open(req, reply, { client: req.ip });
      opened.push(stream);
      stream.send({ id: '1', event: 'hello', data: 'x' });
      return reply;
    });
    // Opens the stream only when the test says so (after the client left, say).
    app.get('/late', async (req, reply) => {
      await gate.opened;
      late.push(hub.open(req, reply));
      return reply;
    });
    // Relays what `first` says at once (headers go out with the first bytes).
    app.get('/relay', async (req, reply) => {
      source = new PassThrough();
      hub.open(req, reply).relay(source, () => source?.destroy());
      source.write((req.query as { first: string }).first);
      return reply;
    });
    url = await app.listen({ port: 0, host: '127.0.0.1' });
  }

  afterEach(async () => {
    opened.length = 0;
    await hub.stop(deadlineIn(1_000));
    await app.close();
  });

  it('hands streams off over the shutdown delay, not all at once, each told to reconnect; new ones are handed off at once', async () => {
    await serve({ maxStreams: 10, reconnectMs: 750 });
    const clients = await Promise.all([1, 2, 3, 4].map(() => openRaw(`${url}/events`)));
    await until(() => clients.every((c) => c.received().includes('data: x')), 'the first events');
    const began = Date.now();
    hub.beginShutdown(1_000);
    // None at once (the pod may still be in endpoints), the rest spread out.
    expect(hub.health()).toEqual({ ready: false, detail: 'not taking new streams; 4 open stream(s)' });
    // A new stream meanwhile is handed off: 200 and only retry:, so an EventSource reconnects.
    const late = await app.inject('/events');
    expect({ status: late.statusCode, type: late.headers['content-type'], body: late.body }).toEqual({
      status: 200,
      type: 'text/event-stream; charset=utf-8',
      body: 'retry: 750\n\n',
    });
    const ends = await Promise.all(clients.map((c) => c.ended));
    for (const client of clients) expect(client.received()).toBe('id: 1\nevent: hello\ndata: x\n\nretry: 750\n\n');
    // From 25 % to 80 % of the delay: the first no earlier than 250 ms, the last of four no
    // earlier than 250 + 3/4 of 550 ms.
    expect(Math.min(...ends) - began).toBeGreaterThanOrEqual(250);
    expect(Math.max(...ends) - began).toBeGreaterThanOrEqual(662);
    expect(hub.size).toBe(0);
  });

  it('bounds streams in total and per client, and counts a stream gone when its client leaves', async () => {
    await serve({ maxStreams: 3, maxPerClient: 2 });
    const a = await openRaw(`${url}/events`);
    await openRaw(`${url}/events`);
    await until(() => hub.size === 2, 'two streams');
    expect(() => hub.admit('127.0.0.1')).toThrow('this client has 2 event streams open, the most allowed');
    expect(() => hub.admit('10.0.0.1')).not.toThrow();
    a.destroy();
    await until(() => hub.size === 1, 'the closed stream to be forgotten');
    expect(() => hub.admit('127.0.0.1')).not.toThrow();
    expect(hub.holding()).toBe('1 open event stream(s)');
  });

  it('ends at once a stream opened for a client that left while it was being prepared', async () => {
    gate.opened = new Promise((resolve) => (gate.open = resolve));
    await serve({ maxStreams: 3 });
    const arrived = new Promise<IncomingMessage>((resolve) => app.server.once('request', resolve));
    const req = request(`${url}/late`, { agent: false });
    req.on('error', () => undefined);
    req.end();
    const incoming = await arrived;
    const socketClosed = new Promise((resolve) => incoming.socket.once('close', resolve));
    req.destroy();
    await socketClosed;
    gate.open();
    await until(() => late.length === 1, 'the late open');
    expect(late[0]?.isOpen).toBe(false);
    expect(hub.size).toBe(0);
  });

  it('holds an admitted place until it is opened or cancelled, so a burst cannot pass the bound', async () => {
    await serve({ maxStreams: 3, maxPerClient: 2 });
    const first = hub.admit('10.0.0.1');
    hub.admit('10.0.0.1');
    expect(() => hub.admit('10.0.0.1')).toThrow('this client has 2 event streams open, the most allowed');
    first.cancel();
    first.cancel(); // twice gives back one place
    hub.admit('10.0.0.1');
    hub.admit('10.0.0.2');
    expect(() => hub.admit('10.0.0.3')).toThrow('3 event streams are open, the most this instance keeps');
  });

  it('writes heartbeat comments to a silent stream and ends one idle past its bound with retry:', async () => {
    await serve({ maxStreams: 3, heartbeatMs: 100, idleTimeoutMs: 700 });
    const client = await openRaw(`${url}/events`);
    await client.ended;
    const text = client.received();
    expect(text.startsWith('id: 1\nevent: hello\ndata: x\n\n: keep-alive\n\n')).toBe(true);
    expect(text.endsWith(': keep-alive\n\nretry: 1000\n\n')).toBe(true);
  });

  it('drops a client that stops reading instead of buffering for it', async () => {
    await serve({ maxStreams: 3, maxBufferedBytes: 64 * 1024 });
    const client = await openRaw(`${url}/events`);
    await until(() => opened.length === 1, 'the stream');
    client.pause();
    const stream = opened[0] as EventStream;
    const big = 'y'.repeat(16 * 1024);
    for (let i = 0; i < 2_000 && stream.isOpen; i++) {
      stream.send({ data: big });
      await new Promise((r) => setImmediate(r));
    }
    expect(stream.isOpen).toBe(false);
    await until(() => hub.size === 0, 'the slow client to be dropped');
  });

  it('at stop, cuts off after a second a client that does not read, instead of holding the shutdown to its deadline', async () => {
    await serve({ maxStreams: 3, maxBufferedBytes: 64 * 1024 });
    const client = await openRaw(`${url}/events`);
    await until(() => opened.length === 1, 'the stream');
    client.pause();
    const stream = opened[0] as EventStream;
    // Fill the sockets until bytes queue in the stream itself (short of the 64 KiB drop).
    for (let i = 0; i < 10_000 && stream.body.writableLength === 0; i++) {
      stream.send({ data: 'z'.repeat(4 * 1024) });
      await new Promise((r) => setImmediate(r));
    }
    expect(stream.body.writableLength).toBeGreaterThan(0);
    expect(stream.isOpen).toBe(true);
    const started = Date.now();
    await hub.stop(deadlineIn(10_000));
    // Waiting for the unread bytes would last until the deadline (10 s).
    expect(Date.now() - started).toBeLessThan(5_000);
    // The server dropped the connection: nothing of it is left to close.
    await new Promise<void>((resolve, reject) =>
      app.server.getConnections((error, count) => (error ? reject(error) : count === 0 ? resolve() : reject(new Error(`${count} open`)))),
    );
    client.destroy();
  });

  it('relays bytes unchanged, and at shutdown adds retry: only between events, never inside one', async () => {
    await serve({ maxStreams: 3 });
    const between = await openRaw(`${url}/relay?first=${encodeURIComponent('id: a\ndata: 1\n\n')}`);
    await until(() => between.received().includes('data: 1'), 'the relayed event');
    hub.beginShutdown(0);
    await between.ended;
    expect(between.received()).toBe('id: a\ndata: 1\n\nretry: 1000\n\n');
    expect(source?.destroyed).toBe(true);

    await hub.stop(deadlineIn(1_000));
    await app.close();
    await serve({ maxStreams: 3 });
    const inside = await openRaw(`${url}/relay?first=${encodeURIComponent('id: b\ndata: half')}`);
    await until(() => inside.received().includes('half'), 'the half event');
    hub.beginShutdown(0);
    await inside.ended;
    // The client discards the unfinished event and reconnects after its own default delay.
    expect(inside.received()).toBe('id: b\ndata: half');
  });
});
