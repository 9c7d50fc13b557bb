export { defineService } from './define-service';
export type { ProcessConfig, Service, ServiceDefinition, ServiceParts } from './define-service';
