export { natsEnvProperties, NatsEnvSchema, toNatsSettings } from './nats-config';
export type { NatsSettings } from './nats-config';
export { NatsConnectionComponent, parseServers } from './nats-connection.component';
export type { NatsConnectionOptions } from './nats-connection.component';
