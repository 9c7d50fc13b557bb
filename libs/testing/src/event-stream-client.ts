import { request, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { waitFor } from './wait-for';

/** What a test saw of one `text/event-stream` response, parsed as the HTML standard says (eventsource-parser). */
export class EventStreamClient {
  readonly events: EventSourceMessage[] = [];
  /** Every `retry:` value received (the server asking the client to reconnect after that long). */
  readonly retries: number[] = [];
  /** Comment lines (heartbeats). */
  readonly comments: string[] = [];
  /** Resolves when the server ends the response (or the connection breaks): how it ended. */
  readonly ended: Promise<'end' | 'error'>;
  private readonly response: IncomingMessage;
  private raw = '';

  private constructor(
    response: IncomingMessage,
    readonly status: number,
    readonly headers: IncomingHttpHeaders,
  ) {
    this.response = response;
    const parser = createParser({
      onEvent: (event) => this.events.push(event),
      onRetry: (ms) => this.retries.push(ms),
      onComment: (comment) => this.comments.push(comment.trim()),
    });
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      this.raw += chunk;
      parser.feed(chunk);
    });
    this.ended = new Promise((resolve) => {
      response.once('end', () => resolve('end'));
      response.once('error', () => resolve('error'));
      response.once('aborted', () => resolve('error'));
    });
  }

  /** Opens `url` with `Accept: text/event-stream` (a connection of its own); resolves once the status line arrived. */
  static open(url: string, headers: Record<string, string> = {}): Promise<EventStreamClient> {
    return new Promise((resolve, reject) => {
      const req = request(url, { agent: false, headers: { accept: 'text/event-stream', ...headers } }, (response) =>
        resolve(new EventStreamClient(response, response.statusCode ?? 0, response.headers)),
      );
      req.once('error', reject);
      req.end();
    });
  }

  /** The event names received so far, in order. */
  names(): string[] {
    return this.events.map((e) => e.event ?? 'message');
  }

  /** Waits until `count` events have arrived. */
  async waitForEvents(count: number, timeoutMs = 20_000): Promise<EventSourceMessage[]> {
    await waitFor(() => this.events.length >= count, {
      timeoutMs,
      description: `${count} event(s) (got ${JSON.stringify(this.names())})`,
    });
    return this.events.slice(0, count);
  }

  /** The body text of a response that is not a stream (a problem, say). */
  async text(): Promise<string> {
    await this.ended;
    return this.raw;
  }

  /** Stops reading: the server's writes back up, as with a client that hangs. */
  pause(): void {
    this.response.pause();
  }

  /** Closes the connection from the client's side. */
  close(): void {
    this.response.destroy();
  }
}
