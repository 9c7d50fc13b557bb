import { getCompileCacheDir } from 'node:module';
import './boot';

describe('@tandem/runtime/boot', () => {
  it('turns on Node’s compile cache for what loads after it', () => {
    // Without boot (and without NODE_COMPILE_CACHE in the environment) there is no cache directory.
    expect(getCompileCacheDir()).toEqual(expect.stringMatching(/\S/));
  });
});
