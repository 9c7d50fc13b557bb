import { runMain } from '@tandem/runtime';
import { loadOrderConfig } from './config';
import { buildOrderService } from './service';

runMain({ name: 'order', loadConfig: () => loadOrderConfig(process.env), build: buildOrderService });
