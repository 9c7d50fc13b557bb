import root, { libraryConfig } from '../../eslint.config.mjs';

export default [...root, ...libraryConfig];
