import { deadLetterSubject, MeshRoutingHeaders, orderSubject, Subjects, Topology } from './subjects';

const matches = (pattern: string, subject: string): boolean =>
  new RegExp('^' + pattern.replace(/\./g, '\\.').replace('>', '.+').replace('*', '[^.]+') + '$').test(subject);

describe('subjects', () => {
  it("every order's event subject is captured by the ORDERS stream and its dead letter by ORDERS_DLQ only", () => {
    for (const kind of ['created', 'fulfilled'] as const) {
      const subject = orderSubject(kind, '0b1e8d4c-6f0a-8c1d-9a52-3f4a1d2e5b6c');
      expect(matches(kind === 'created' ? Subjects.orderCreated : Subjects.orderFulfilled, subject)).toBe(true);
      expect(Topology.ordersStream.subjects.some((p) => matches(p, subject))).toBe(true);
      expect(Topology.deadLetterStream.subjects.some((p) => matches(p, deadLetterSubject(subject)))).toBe(true);
      expect(Topology.ordersStream.subjects.some((p) => matches(p, deadLetterSubject(subject)))).toBe(false);
    }
  });

  it('the fulfilment consumer sees every orders.created.<id> and no orders.fulfilled.<id>', () => {
    expect(matches(Topology.fulfilmentConsumer.filterSubject, orderSubject('created', 'a'))).toBe(true);
    expect(matches(Topology.fulfilmentConsumer.filterSubject, orderSubject('fulfilled', 'a'))).toBe(false);
  });
});

describe('MeshRoutingHeaders', () => {
  it('are custom x- headers, lower-case, none of the headers the gateway sets itself on a call', () => {
    for (const name of MeshRoutingHeaders) {
      expect(name).toMatch(/^x-[a-z0-9-]+$/);
      expect(['x-request-id', 'x-forwarded-for', 'x-order-version']).not.toContain(name);
    }
  });
});
