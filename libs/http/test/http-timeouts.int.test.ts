import { connect, type Socket } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { HttpServerComponent } from '../src/http-server.component';
import { httpServerTimeouts, MAX_HEADER_BYTES } from '../src/http-timeouts';

/** The first line the server answers on a raw socket, or what ended the socket first. */
function firstLine(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let data = '';
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString('latin1');
      if (data.includes('\r\n')) resolve(data.slice(0, data.indexOf('\r\n')));
    });
    socket.on('close', () => resolve(data ? (data.split('\r\n')[0] ?? '') : 'closed without an answer'));
    socket.on('error', () => undefined);
  });
}

/** A POST whose 100-byte body arrives one byte every `everyMs`: the first answer line, and how to stop sending. */
function slowUpload(port: number, everyMs: number): { answer: Promise<string>; end: () => void } {
  const socket = connect(port, '127.0.0.1');
  const answer = firstLine(socket);
  socket.write(`POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`);
  const trickle = setInterval(() => socket.write('a'), everyMs);
  return {
    answer,
    end: () => {
      clearInterval(trickle);
      socket.destroy();
    },
  };
}

describe('slow and oversized clients are cut off (real sockets)', () => {
  let app: FastifyInstance;
  let http: HttpServerComponent;
  let port: number;

  beforeEach(async () => {
    app = Fastify({ ...httpServerTimeouts(1_500) });
    app.post('/upload', async (request) => ({ got: (request.body as { data?: string } | undefined)?.data?.length ?? 0 }));
    http = new HttpServerComponent(app, { port: 0, host: '127.0.0.1' });
    await http.start();
    port = (app.server.address() as { port: number }).port;
  });
  afterEach(async () => {
    await app.close();
  });

  it('answers 408 to a body trickled one byte a second, once the request timeout has passed', async () => {
    const upload = slowUpload(port, 1_000);
    try {
      // The answer comes well before the 100 bytes could have (100 s): the timeout cut it off.
      await expect(upload.answer).resolves.toBe('HTTP/1.1 408 Request Timeout');
    } finally {
      upload.end();
    }
  });

  it('answers 431 to a header block over 16 KiB', async () => {
    const socket = connect(port, '127.0.0.1');
    const answer = firstLine(socket);
    socket.write(`GET /upload HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(MAX_HEADER_BYTES + 1)}\r\n\r\n`);
    await expect(answer).resolves.toBe('HTTP/1.1 431 Request Header Fields Too Large');
    socket.destroy();
  });

  it('a slow upload does not hold a shutdown: stop() ends once the request timeout cuts it off', async () => {
    const upload = slowUpload(port, 500);
    try {
      // Wait until the server has the request, then stop while the body is still trickling in.
      await new Promise((resolve) => setTimeout(resolve, 300));
      let guard: NodeJS.Timeout | undefined;
      const stopped = await Promise.race([
        http.stop().then(() => 'stopped'),
        new Promise((resolve) => (guard = setTimeout(() => resolve('still waiting for the upload after 20 s'), 20_000))),
      ]);
      clearTimeout(guard);
      expect(stopped).toBe('stopped');
      await expect(upload.answer).resolves.toBe('HTTP/1.1 408 Request Timeout');
    } finally {
      upload.end();
    }
  });
});
