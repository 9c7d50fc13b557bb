import { withoutNulls } from './schema-validation';

describe('withoutNulls', () => {
  it('drops fields set to null, at any depth, and keeps list items as they are', () => {
    expect(
      withoutNulls({
        metadata: { name: 'x', creationTimestamp: null, annotations: null },
        spec: { template: { spec: { containers: [{ name: 'a', env: null }], volumes: [null] } } },
      }),
    ).toEqual({ metadata: { name: 'x' }, spec: { template: { spec: { containers: [{ name: 'a' }], volumes: [null] } } } });
  });
});
