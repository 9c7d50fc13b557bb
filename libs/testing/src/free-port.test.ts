import { createServer } from 'node:net';
import { freePort } from './free-port';

describe('freePort', () => {
  it('hands out each port once per process, each one free to listen on', async () => {
    const ports: number[] = [];
    for (let i = 0; i < 300; i++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(ports.length);
    const last = ports.at(-1) as number;
    const server = createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen({ port: last, host: '127.0.0.1' }, resolve));
    await new Promise((resolve) => server.close(resolve));
  });
});
