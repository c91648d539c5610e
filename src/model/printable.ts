/**
 * Control characters that could move a terminal's cursor, recolour it, rewrite earlier lines or
 * reorder text: C0 (but newline and tab, which callers may keep), DEL, C1 (0x9b alone starts an
 * escape sequence on some terminals), line/paragraph separators and the bidirectional overrides.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex
const UNSAFE_WITH_LINES = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const escape = (c: string) => {
  const code = c.charCodeAt(0);
  if (c === '\n') return '\\n';
  if (c === '\t') return '\\t';
  if (c === '\r') return '\\r';
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
};

/**
 * `text` with every control character shown visibly (ESC as `\x1b`, U+202E as `\u202e`), so text
 * from a package or a cluster object cannot act on the terminal or log viewer that shows it.
 * `keepLines` keeps newlines and tabs for multi-line output of our own.
 */
export function printable(text: string, options: { keepLines?: boolean } = {}): string {
  return text.replace(options.keepLines ? UNSAFE : UNSAFE_WITH_LINES, escape);
}
