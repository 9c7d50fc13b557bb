// boot, then instrument, must stay the first imports: the compile cache covers what loads
// after boot, and instrument patches modules before they load
import '@tandem/runtime/boot';
import { telemetry } from './instrument';
import { ConfigError, runMain } from '@tandem/runtime';
import { buildConsumerService, loadConsumerConfig } from '@tandem/fulfilment-service';

runMain({
  name: 'consumer',
  loadConfig: () => {
    if (telemetry.problems.length > 0) throw new ConfigError(telemetry.problems);
    return loadConsumerConfig(process.env);
  },
  build: (config) => buildConsumerService(config, telemetry),
});
