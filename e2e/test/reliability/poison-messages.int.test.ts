import { randomBytes, randomUUID } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import { connectAs, ReliabilitySystem } from './reliability-system';

/**
 * SPEC §4/§7: poison messages land in the DLQ and never block the stream. While valid
 * orders flow through the gateway, three messages no producer of Tandem would write are
 * published straight to `orders.created`: garbage bytes, the wrong schema, and a huge
 * payload just under the server's max_payload.
 */
describe('reliability: poison messages on orders.created under load', () => {
  let system: ReliabilitySystem | undefined;
  afterEach(async () => {
    await system?.stop();
    system = undefined;
  });

  it('are dead-lettered with their reasons while every valid order is still fulfilled exactly once', async () => {
    const s = (system = await ReliabilitySystem.start({ consumerEnv: { FULFILMENT_DELAY_MS: '5' } }));
    // Published as the order service's user would: the only one allowed to write orders.created.
    const producer = await connectAs(s, 'order');
    const js = jetstream(producer);
    const maxPayload = producer.info?.max_payload ?? 1024 * 1024;
    const load = s.load({ orders: 400, keyPrefix: 'poison' });
    await load.whenCompleted(100);

    const event = {
      eventVersion: 1,
      orderId: randomUUID(),
      sku: 'HUGE',
      qty: 1,
      createdAt: new Date().toISOString(),
      serviceVersion: 'v1',
    };
    const skeleton = JSON.stringify({ ...event, customerId: '' });
    const poison = {
      garbage: Uint8Array.from([0xff, 0xfe, 0x00, 0x7b, ...randomBytes(64)]),
      'wrong schema': new TextEncoder().encode(JSON.stringify({ eventVersion: 2, orderId: randomUUID(), sku: 'NOPE', colour: 'red' })),
      // the largest message the server takes, minus a little: customerId far beyond its 128 characters
      huge: new TextEncoder().encode(JSON.stringify({ ...event, customerId: 'x'.repeat(maxPayload - skeleton.length - 64) })),
    };
    const seqs = new Map<number, string>();
    const subjectOf = (name: string) => `orders.created.poison-${name.replace(/\s+/g, '-')}`;
    for (const [name, data] of Object.entries(poison)) seqs.set((await js.publish(subjectOf(name), data)).seq, name);
    await producer.close();
    await load.finished;
    const retries = await load.retryUnaccepted();

    const { audit, store } = await s.audit('poison messages under load', load.attempts, {
      'poison published': seqs.size,
      'huge bytes': poison.huge.length,
      max_payload: maxPayload,
    });
    await load.close();
    const dead = store.deadLetters.filter((d) => d.originalSequence !== undefined && seqs.has(d.originalSequence));
    for (const d of dead)
      console.log(
        `[reliability]   dlq: ${seqs.get(d.originalSequence as number)} (seq ${d.originalSequence}, ${d.size} bytes${d.bodyOmitted ? `, body of ${d.bodyOmitted} omitted` : ''}) by ${d.consumer}: ${d.error?.slice(0, 120)}`,
      );

    // every poison message is in the DLQ, with the headers naming where it came from and why
    expect(new Set(dead.map((d) => seqs.get(d.originalSequence as number)))).toEqual(new Set(Object.keys(poison)));
    for (const d of dead) {
      const name = seqs.get(d.originalSequence as number) ?? '';
      expect(d).toMatchObject({
        subject: `dlq.${subjectOf(name)}`,
        originalSubject: subjectOf(name),
        deliveryCount: 1,
        consumer: 'fulfilment',
      });
      expect(d.error).toMatch(/^schema violation: /);
    }
    const reasonOf = (name: string) => dead.find((d) => seqs.get(d.originalSequence as number) === name)?.error ?? '';
    expect(reasonOf('garbage')).toContain('body is not UTF-8 JSON');
    expect(reasonOf('wrong schema')).toMatch(/eventVersion|colour|additional/i);
    expect(reasonOf('huge')).toMatch(/customerId/);
    // the huge one cannot be copied beside the headers under max_payload: its dead letter says so and where the original is
    const sizeOf = (name: string) =>
      dead.filter((d) => seqs.get(d.originalSequence as number) === name).map((d) => [d.size, d.bodyOmitted]);
    expect(sizeOf('huge')).toEqual([[0, poison.huge.length]]);
    expect(sizeOf('garbage')).toEqual([[poison.garbage.length, undefined]]);
    // nothing else was dead-lettered, and the valid orders kept flowing: all fulfilled exactly once
    expect(store.deadLetters.filter((d) => !seqs.has(d.originalSequence ?? -1))).toEqual([]);
    expect(retries).toEqual([]);
    expect(audit.problems).toEqual([]);
    expect(audit.accepted).toBe(400);
    expect(audit.fulfilled).toBe(400);
  }, 120_000);
});
