import root, { appConfig, entryPointConfig } from '../../eslint.config.mjs';

export default [...root, ...appConfig, ...entryPointConfig];
