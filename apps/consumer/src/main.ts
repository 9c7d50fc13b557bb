import { runMain } from '@tandem/runtime';
import { loadConsumerConfig } from './config';
import { buildConsumerService } from './service';

runMain({ name: 'consumer', loadConfig: () => loadConsumerConfig(process.env), build: buildConsumerService });
