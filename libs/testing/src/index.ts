export { AppProcess, workspaceRoot } from './app-process';
export type { AppName, StartAppOptions } from './app-process';
export { isProcessAlive, ManagedProcess } from './child-process';
export { freePort } from './free-port';
export { NatsCluster } from './nats-cluster';
export { natsServerBinary, NatsServer, waitForPortClosed } from './nats-server';
export type { NatsServerOptions } from './nats-server';
export { waitFor } from './wait-for';
export { bundleFixture } from './bundle-fixture';
