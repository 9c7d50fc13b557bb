/**
 * A stand-in OTLP/HTTP collector for the bench: accepts every export (`POST /v1/traces`,
 * protobuf or JSON), counts requests and bytes, decodes nothing and answers 200 with an
 * empty (valid) export response. `GET /stats` returns the counts. Runs in its own process
 * so that its work does not disturb the load generator. Prints its port; runs until SIGTERM.
 */
import { createServer } from 'node:http';

const stats = { requests: 0, bytes: 0 };
const server = createServer((request, response) => {
  if (request.method === 'GET' && request.url === '/stats') {
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats));
    return;
  }
  let bytes = 0;
  request.on('data', (chunk: Buffer) => (bytes += chunk.length));
  request.on('end', () => {
    stats.requests += 1;
    stats.bytes += bytes;
    const json = String(request.headers['content-type']).includes('json');
    response.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' }).end(json ? '{}' : '');
  });
});
server.listen(Number(process.env['PORT'] ?? 0), '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening on ${typeof address === 'object' && address ? address.port : 0}\n`);
});
process.once('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
