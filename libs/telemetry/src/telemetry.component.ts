import { whenAborted, type Component, type ComponentHealth, type Deadline } from '@tandem/runtime';
import type { Telemetry } from './tracing';

/**
 * The SDK as a component: registered first, so it is stopped last — the "flush telemetry"
 * step of the shutdown sequence, bounded by what is left of the deadline.
 */
export class TelemetryComponent implements Component {
  readonly name = 'telemetry';

  constructor(private readonly telemetry: Telemetry) {}

  async start(): Promise<void> {
    // started before anything else was loaded (startTelemetry)
  }

  async stop(deadline: Deadline): Promise<void> {
    await Promise.race([this.telemetry.shutdown().catch(() => undefined), whenAborted(deadline.signal)]);
  }

  health(): ComponentHealth {
    return {
      ready: true,
      detail: `traces exporter: ${this.telemetry.exporter}, sampler: ${this.telemetry.sampler}, instrumentations: ${this.telemetry.instrumentations.join(', ') || 'none'}`,
    };
  }
}
