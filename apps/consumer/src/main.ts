// instrument must stay the first import: it patches modules before they load
import { telemetry } from './instrument';
import { ConfigError, runMain } from '@tandem/runtime';
import { loadConsumerConfig } from './config';
import { buildConsumerService } from './service';

runMain({
  name: 'consumer',
  loadConfig: () => {
    if (telemetry.problems.length > 0) throw new ConfigError(telemetry.problems);
    return loadConsumerConfig(process.env);
  },
  build: (config) => buildConsumerService(config, telemetry),
});
