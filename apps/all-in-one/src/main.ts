import { runMain } from '@tandem/runtime';
import { loadAllInOneConfig } from './config';
import { buildAllInOneService } from './service';

runMain({ name: 'all-in-one', loadConfig: () => loadAllInOneConfig(process.env), build: buildAllInOneService });
