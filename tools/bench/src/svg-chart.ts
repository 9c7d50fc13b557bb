/** One bar: a label, a value and its colour. */
export interface Bar {
  readonly label: string;
  readonly value: number;
  readonly color?: string;
}

/** One horizontal bar chart; several are stacked in one SVG. */
export interface ChartPanel {
  readonly title: string;
  /** Printed after each value, e.g. `req/s`. */
  readonly unit: string;
  readonly bars: readonly Bar[];
  /** A dashed vertical line, e.g. the ceiling. */
  readonly reference?: { readonly value: number; readonly label: string };
}

const WIDTH = 820;
const LABEL_WIDTH = 360;
const BAR_AREA = 330;
const ROW = 24;
const TITLE = 34;
const GAP = 18;

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] as string);
}

/** Thousands with a thin space, no decimals (e.g. `12 345`). */
function formatValue(value: number): string {
  return Math.round(value)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, '\u2009');
}

/**
 * Plain SVG text (no dependency): stacked horizontal bar charts, each scaled to its own
 * largest value (or reference), values printed at the bar ends.
 */
export function svgChart(panels: readonly ChartPanel[], caption?: string): string {
  const parts: string[] = [];
  let y = 10;
  for (const panel of panels) {
    const max = Math.max(1, ...panel.bars.map((b) => b.value), panel.reference?.value ?? 0);
    const scale = BAR_AREA / max;
    parts.push(`<text x="10" y="${y + 18}" font-size="15" font-weight="bold">${escapeXml(panel.title)}</text>`);
    const top = y + TITLE;
    panel.bars.forEach((bar, i) => {
      const rowY = top + i * ROW;
      const width = Math.max(0, bar.value * scale);
      parts.push(
        `<text x="${LABEL_WIDTH - 8}" y="${rowY + 15}" font-size="12" text-anchor="end">${escapeXml(bar.label)}</text>`,
        `<rect x="${LABEL_WIDTH}" y="${rowY + 3}" width="${width.toFixed(1)}" height="${ROW - 8}" fill="${bar.color ?? '#2f6fb0'}"/>`,
        `<text x="${(LABEL_WIDTH + width + 6).toFixed(1)}" y="${rowY + 15}" font-size="12">${formatValue(bar.value)} ${escapeXml(panel.unit)}</text>`,
      );
    });
    const bottom = top + panel.bars.length * ROW;
    if (panel.reference) {
      const x = (LABEL_WIDTH + panel.reference.value * scale).toFixed(1);
      parts.push(
        `<line x1="${x}" y1="${top - 4}" x2="${x}" y2="${bottom}" stroke="#444" stroke-dasharray="4 3"/>`,
        `<text x="${x}" y="${top - 8}" font-size="11" text-anchor="middle" fill="#444">${escapeXml(panel.reference.label)}</text>`,
      );
    }
    y = bottom + GAP;
  }
  if (caption) {
    parts.push(`<text x="10" y="${y + 10}" font-size="11" fill="#555">${escapeXml(caption)}</text>`);
    y += 20;
  }
  const height = y + 4;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
