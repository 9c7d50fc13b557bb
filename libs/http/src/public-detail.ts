/** What replaces an address or a file path in an error message shown to a caller. */
export const REDACTED_ADDRESS = '[internal address]';
export const REDACTED_PATH = '[internal path]';

const MAX_LENGTH = 300;

/** Rules applied in order; each names what it removes. */
const RULES: ReadonlyArray<readonly [RegExp, string]> = [
  // URLs of any scheme: http://order:3001/x, nats://user:pass@nats.tandem.svc:4222, file:///app/x.js
  [/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi, REDACTED_ADDRESS],
  // file paths: absolute paths under the usual roots or naming a source/module file; Windows paths
  [
    /(?:\/(?:app|home|root|usr|opt|var|tmp|work|srv|etc|proc|node_modules|dist)(?:\/[\w.@+-]+)+|(?:\/[\w.@+-]+)+\.(?:[cm]?js|ts|json|node|map))(?::\d+){0,2}/g,
    REDACTED_PATH,
  ],
  [/\b[a-z]:\\[^\s"'<>]+/gi, REDACTED_PATH],
  // IPv6 (bracketed or bare, with an optional port): [fd00::1]:4222, ::1:3001, fe80::1
  [/\[[0-9a-f:.]+\](?::\d+)?/gi, REDACTED_ADDRESS],
  [/(?<![\w:])(?:[0-9a-f]{0,4}:){2,}[0-9a-f.]*(?![\w:])/gi, REDACTED_ADDRESS],
  // IPv4 with an optional port: 10.96.0.12:3001
  [/\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b/g, REDACTED_ADDRESS],
  // host:port, and cluster-internal names: order.tandem.svc.cluster.local, nats-0.nats-headless, localhost:4222
  [/\b[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*:\d{2,5}\b/gi, REDACTED_ADDRESS],
  [/\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:svc|cluster\.local|internal|local|localdomain)\b/gi, REDACTED_ADDRESS],
  [/\blocalhost\b/gi, REDACTED_ADDRESS],
];

/**
 * An error message made fit for a response: only its first line (a stack never follows),
 * with network addresses, internal host names and file paths replaced, at most 300
 * characters. A safety net for messages built from lower layers (`connect ECONNREFUSED
 * 10.96.0.12:3001`); messages written for callers pass through unchanged.
 */
export function publicDetail(message: string): string {
  let text = message.split(/\r?\n/, 1)[0] ?? '';
  for (const [pattern, replacement] of RULES) text = text.replace(pattern, replacement);
  return text.length > MAX_LENGTH ? `${text.slice(0, MAX_LENGTH - 1)}…` : text;
}
