/**
 * Text from the cluster is untrusted: anyone holding a bootstrap token can create a CSR whose name,
 * SANs or username carry terminal escape sequences, line breaks or right-to-left overrides, and a
 * token's description is free text. {@link displayText} makes such text safe to show in one line —
 * a terminal table cell, a tree label, a tooltip, a notification — and, with `max`, short.
 *
 * Machine output (the CLI's --json) must stay exact: never pass it through here.
 * For Markdown surfaces, escape the result as Markdown as well (escapeMarkdown in core/csr).
 */

/**
 * Control characters (C0, DEL, C1: ESC, CSI, BEL, CR, LF, TAB …) and invisible format characters
 * (bidi overrides and isolates, zero-width characters, line/paragraph separators, BOM) — anything that
 * moves the cursor, rewrites the terminal or makes text read differently from what it is — and lone surrogates.
 */
const UNSAFE = /[\p{Cc}\p{Cf}\u2028\u2029]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/gu;

function escapeChar(c: string): string {
  const code = c.codePointAt(0) ?? 0;
  if (code === 0x0a) return '\\n';
  if (code === 0x0d) return '\\r';
  if (code === 0x09) return '\\t';
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

export interface DisplayTextOptions {
  /** At most this many characters (code points); longer text ends in `…`. */
  max?: number;
}

/**
 * `text` with every control and invisible format character written as a visible escape
 * (`\x1b`, `\n`, `\u202e`), optionally shortened to `max` characters ending in `…`.
 * Printable text in any script, emoji included, is left as it is.
 */
export function displayText(text: string, opts: DisplayTextOptions = {}): string {
  const safe = text.replace(UNSAFE, escapeChar);
  const max = opts.max;
  if (max === undefined) return safe;
  const chars = [...safe];
  if (chars.length <= max) return safe;
  return `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}
