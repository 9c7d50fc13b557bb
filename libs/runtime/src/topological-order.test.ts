import { ComponentGraphError } from './errors';
import { topologicalOrder } from './topological-order';

const c = (name: string, dependsOn: string[] = []) => ({ name, dependsOn });

describe('topologicalOrder', () => {
  it('puts dependencies first and otherwise keeps registration order', () => {
    const order = topologicalOrder([c('http', ['consumer']), c('telemetry'), c('consumer', ['nats']), c('nats', ['telemetry'])]);
    expect(order.map((x) => x.name)).toEqual(['telemetry', 'nats', 'consumer', 'http']);
  });

  it('names the cycle', () => {
    expect(() => topologicalOrder([c('a', ['b']), c('b', ['a'])])).toThrow(new ComponentGraphError('dependency cycle: a → b → a'));
  });

  it('names an unknown dependency', () => {
    expect(() => topologicalOrder([c('http', ['nats'])])).toThrow('component "http" depends on unknown component "nats"');
  });
});
