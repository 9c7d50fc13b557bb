import { runMain } from '@tandem/runtime';
import { loadGatewayConfig } from './config';
import { buildGatewayService } from './service';

runMain({ name: 'gateway', loadConfig: () => loadGatewayConfig(process.env), build: buildGatewayService });
