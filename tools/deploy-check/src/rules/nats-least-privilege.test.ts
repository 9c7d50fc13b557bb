import { grantsManagement, publishAllowList, subjectCovers } from './nats-least-privilege';

describe('nats-least-privilege: what a service user may be given', () => {
  it('matches NATS wildcards as the server does', () => {
    expect(subjectCovers('orders.*', 'orders.created')).toBe(true);
    expect(subjectCovers('orders.*', 'orders.created.x')).toBe(false);
    expect(subjectCovers('orders.>', 'orders.created.x')).toBe(true);
    expect(subjectCovers('orders.>', 'orders')).toBe(false);
  });

  it('lets through messages, acks and the read-only JetStream verbs', () => {
    for (const pattern of [
      'orders.created.*',
      'dlq.orders.created.*',
      '$JS.ACK.ORDERS.fulfilment.>',
      '$JS.API.INFO',
      '$JS.API.STREAM.INFO.ORDERS',
      '$JS.API.CONSUMER.INFO.ORDERS.fulfilment',
      '$JS.API.CONSUMER.MSG.NEXT.ORDERS.fulfilment',
      '$JS.API.STREAM.MSG.GET.ORDERS',
      '$JS.API.DIRECT.GET.ORDERS.orders.created.*',
    ])
      expect({ pattern, management: grantsManagement(pattern) }).toEqual({ pattern, management: false });
  });

  it('flags wildcards over the API and every verb that changes, removes or lists', () => {
    for (const pattern of [
      '>',
      '$JS.>',
      '$JS.API.>',
      '$JS.API.STREAM.*.ORDERS',
      '$JS.API.STREAM.UPDATE.ORDERS',
      '$JS.API.STREAM.PURGE.ORDERS_DLQ',
      '$JS.API.STREAM.MSG.DELETE.ORDERS',
      '$JS.API.STREAM.LIST',
      '$JS.API.CONSUMER.CREATE.ORDERS',
      '$JS.API.CONSUMER.CREATE.ORDERS.fulfilment.orders.created.*',
      '$JS.API.CONSUMER.DELETE.ORDERS.fulfilment',
      '$JS.API.CONSUMER.PAUSE.ORDERS.fulfilment',
    ])
      expect({ pattern, management: grantsManagement(pattern) }).toEqual({ pattern, management: true });
  });

  it('reads allow-lists in the list and the single-string forms', () => {
    const conf = ['A = { publish: { allow: ["x.*", "$JS.API.INFO"] } }', 'B = { publish: ">" }', 'C = { subscribe: ["y"] }'].join('\n');
    expect(publishAllowList(conf, 'A')).toEqual(['x.*', '$JS.API.INFO']);
    expect(publishAllowList(conf, 'B')).toEqual(['>']);
    expect(publishAllowList(conf, 'C')).toEqual([]);
    expect(publishAllowList(conf, 'D')).toBeUndefined();
  });
});
