// boot, then instrument, must stay the first imports: the compile cache covers what loads
// after boot, and instrument patches modules before they load
import '@tandem/runtime/boot';
import { telemetry } from './instrument';
import { ConfigError, runMain } from '@tandem/runtime';
import { loadAllInOneConfig } from './config';
import { buildAllInOneService } from './service';

runMain({
  name: 'all-in-one',
  loadConfig: () => {
    if (telemetry.problems.length > 0) throw new ConfigError(telemetry.problems);
    return loadAllInOneConfig(process.env);
  },
  build: (config) => buildAllInOneService(config, telemetry),
});
