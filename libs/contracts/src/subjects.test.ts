import { deadLetterSubject, Subjects, Topology } from './subjects';

describe('subjects', () => {
  it('every event subject is captured by the ORDERS stream and its dead letter by ORDERS_DLQ', () => {
    const matches = (pattern: string, subject: string): boolean =>
      new RegExp('^' + pattern.replace(/\./g, '\\.').replace('>', '.+').replace('*', '[^.]+') + '$').test(subject);
    for (const subject of Object.values(Subjects)) {
      expect(Topology.ordersStream.subjects.some((p) => matches(p, subject))).toBe(true);
      expect(Topology.deadLetterStream.subjects.some((p) => matches(p, deadLetterSubject(subject)))).toBe(true);
      expect(Topology.ordersStream.subjects.some((p) => matches(p, deadLetterSubject(subject)))).toBe(false);
    }
  });
});
