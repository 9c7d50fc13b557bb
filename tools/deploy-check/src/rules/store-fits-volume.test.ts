import { kubernetesBytes, natsBytes } from './store-fits-volume';

describe('sizes as nats-server and Kubernetes read them', () => {
  it('nats-server: GB and MB are binary, G and M decimal; anything else is unreadable', () => {
    expect(natsBytes('2GB')).toBe(2 * 2 ** 30);
    expect(natsBytes('1600MB')).toBe(1600 * 2 ** 20);
    expect(natsBytes('2G')).toBe(2e9);
    expect(natsBytes('64mib')).toBe(64 * 2 ** 20);
    expect(natsBytes('123')).toBe(123);
    expect(natsBytes('2 GB')).toBe(2 * 2 ** 30);
    expect(natsBytes('lots')).toBeUndefined();
    expect(natsBytes('2XB')).toBeUndefined();
    expect(natsBytes('1PB')).toBe(2 ** 50);
  });

  it('Kubernetes: Gi binary, G decimal', () => {
    expect(kubernetesBytes('2Gi')).toBe(2 * 2 ** 30);
    expect(kubernetesBytes('500M')).toBe(5e8);
    expect(kubernetesBytes('1.5Gi')).toBe(1.5 * 2 ** 30);
    expect(kubernetesBytes('1024')).toBe(1024);
    expect(kubernetesBytes('2000000k')).toBe(2e9);
    expect(kubernetesBytes('2e9')).toBe(2e9);
    expect(kubernetesBytes('2Ki')).toBe(2048);
    expect(kubernetesBytes('2GB')).toBeUndefined();
  });
});
