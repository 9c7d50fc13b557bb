import { FINDINGS_END, FINDINGS_START, preservedFindings } from './report';

describe('report findings block', () => {
  it('keeps the hand-written findings when the report is regenerated', () => {
    const existing = `# Benchmarks\n\nold table\n\n${FINDINGS_START}\nProfiling showed X.\n\n- and Y\n${FINDINGS_END}\n\nold footer`;
    expect(preservedFindings(existing)).toBe('Profiling showed X.\n\n- and Y');
  });

  it('starts with a placeholder when there is no report or no block yet', () => {
    expect(preservedFindings(undefined)).toMatch(/None written yet/);
    expect(preservedFindings('# Benchmarks\nno markers')).toMatch(/None written yet/);
  });
});
