// boot, then instrument, must stay the first imports: the compile cache covers what loads
// after boot, and instrument patches modules before they load
import '@tandem/runtime/boot';
import { telemetry } from './instrument';
import { allInOneService } from './service';

allInOneService.main(process.env, telemetry);
