/**
 * Text from the cluster (CSR names, usernames, SANs, token descriptions, API server messages) is
 * untrusted: every place the extension shows such text goes through one of these functions, all
 * built on the core's displayText (control and invisible format characters become visible escapes
 * such as `\x1b` or `\u202e`, and long values are cut with "…").
 *
 *  - {@link plainText}: tree labels and descriptions, notifications, modal details, quick picks;
 *    a Markdown link (`[text](command:…)`, which a notification turns into a clickable link) is
 *    broken apart.
 *  - {@link markdownText}: for a MarkdownString (tooltips, the review document): escaped as well.
 *  - {@link escapedMarkdown}: Markdown the core built from escaped cluster text (a CSR's summary).
 *  - {@link codeBlock}: a fenced block (a request's PEM) its text cannot close early.
 */
import { escapeMarkdown } from '../core/csr/summary';
import { displayText } from '../core/text';

/** How long a label or a notification value may be (a CSR name may be up to 253 characters, a SAN anything). */
const MAX_LABEL = 120;
/** Tooltips, details and documents show more, but not without end. */
export const MAX_DETAIL = 1000;

/** Printable ASCII without `]`: nothing to escape and no link to break (most names; the tree renders thousands). */
const PLAIN_ASCII = /^[\x20-\x5c\x5e-\x7e]*$/;

/** Untrusted text for a plain-text place (label, description, notification, quick pick, modal detail). */
export function plainText(text: string, max = MAX_LABEL): string {
  if (text.length <= max && PLAIN_ASCII.test(text)) return text;
  return displayText(text.replace(/\]\(/g, '] ('), { max });
}

/** Untrusted text for a MarkdownString: visible, cut, and escaped so it renders literally (no links, no HTML). */
export function markdownText(text: string, max = MAX_DETAIL): string {
  return escapeMarkdown(displayText(text, { max }));
}

/** Markdown whose cluster text the core already escaped (summarizeRequest): each line made visible and cut. */
export function escapedMarkdown(md: string, maxLine = MAX_DETAIL): string {
  return md
    .split('\n')
    .map((line) => displayText(line, { max: maxLine }))
    .join('\n');
}

/** A fenced code block that `text` cannot close early, whatever backticks it holds; each line made visible. */
export function codeBlock(text: string, language = ''): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  const lines = text.split(/\r?\n/).map((line) => displayText(line, { max: MAX_DETAIL }));
  return `${fence}${language}\n${lines.join('\n')}\n${fence}`;
}
