/**
 * Subjects with one token per entity (`orders.created.<id>`) are high-cardinality: span
 * names, metric labels and log fields carry their template (`orders.created.*`) instead,
 * and the full subject only where one value per message is fine (a span attribute, a
 * dead letter's headers).
 */

/** True when `subject` is one concrete subject that `template` (tokens or `*`, no `>`) matches. */
export function matchesTemplate(template: string, subject: string): boolean {
  const wanted = template.split('.');
  const tokens = subject.split('.');
  if (wanted.length !== tokens.length) return false;
  return wanted.every((token, i) => {
    const actual = tokens[i] ?? '';
    if (actual === '' || actual === '*' || actual === '>' || /\s/.test(actual)) return false;
    return token === '*' || token === actual;
  });
}
