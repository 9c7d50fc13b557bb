import { svgChart } from './svg-chart';

describe('svg chart', () => {
  const chart = svgChart(
    [
      {
        title: 'POST /orders',
        unit: 'req/s',
        bars: [
          { label: 'ceiling', value: 2000 },
          { label: 'tandem <one process> & co', value: 1000 },
        ],
        reference: { value: 2000, label: 'ceiling' },
      },
    ],
    'caption',
  );

  it('is one well-formed SVG document with a bar per value, scaled to the largest', () => {
    expect(chart.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(chart.trimEnd().endsWith('</svg>')).toBe(true);
    const widths = [...chart.matchAll(/<rect x="\d+" y="[\d.]+" width="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(widths).toEqual([330, 165]);
    expect(chart).toContain('2\u2009000 req/s');
  });

  it('escapes labels', () => {
    expect(chart).toContain('tandem &lt;one process&gt; &amp; co');
    expect(chart).not.toContain('<one process>');
  });
});
