import root, { appConfig } from '../../eslint.config.mjs';

export default [...root, ...appConfig];
