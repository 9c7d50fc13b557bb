import { globToRegExp } from './log-pipeline';

describe('globToRegExp (filelog doublestar globs)', () => {
  const path = '/var/log/pods/tandem_consumer-v1-7d9f_0c1e/consumer/0.log';

  it('keeps * and ? within one path segment', () => {
    expect(globToRegExp('/var/log/pods/tandem_*/consumer/*.log').test(path)).toBe(true);
    expect(globToRegExp('/var/log/pods/*/*.log').test(path)).toBe(false);
    expect(globToRegExp('/var/log/pods/tandem_*/consumer/?.log').test(path)).toBe(true);
  });

  it('lets ** cross segments and {a,b} match either', () => {
    expect(globToRegExp('/var/log/pods/**/*.log').test(path)).toBe(true);
    expect(globToRegExp('/var/log/pods/tandem_*/{gateway,order,consumer}/*.log').test(path)).toBe(true);
    expect(globToRegExp('/var/log/pods/tandem_*/{gateway,order}/*.log').test(path)).toBe(false);
  });

  it('takes regular-expression characters literally', () => {
    expect(globToRegExp('/var/log/pods/tandem_*/consumer/0.log').test('/var/log/pods/tandem_x/consumer/0xlog')).toBe(false);
  });
});
