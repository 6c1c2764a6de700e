// The extension's manifest as the command palette sees it: which titles it lists, and which of them a typed
// title also matches. Used by the unit test (every title) and the UI palette scenario (the real palette).

export interface Manifest {
  contributes: {
    commands: { command: string; title: string; category?: string }[];
    menus?: { commandPalette?: { command: string; when?: string }[] };
  };
}

/** "Category: Title" of every command the palette lists (those not hidden with `"when": "false"`). */
export function paletteTitles(pkg: Manifest): string[] {
  const hidden = new Set((pkg.contributes.menus?.commandPalette ?? []).filter((m) => m.when === 'false').map((m) => m.command));
  return pkg.contributes.commands.filter((c) => !hidden.has(c.command)).map((c) => (c.category ? `${c.category}: ${c.title}` : c.title));
}

/**
 * Pairs where typing `typed` (the whole palette label) also lists `alsoMatches`. The palette keeps the
 * matching commands in their usual order (recently used first, then by label), not by how well they match:
 * any second match may be the row Enter runs.
 */
export function paletteCollisions(titles: string[]): { typed: string; alsoMatches: string }[] {
  const out: { typed: string; alsoMatches: string }[] = [];
  for (const typed of titles) {
    for (const other of titles) if (other !== typed && paletteMatches(typed, other)) out.push({ typed, alsoMatches: other });
  }
  return out;
}

/**
 * The command palette's filter: a label matches when the query is a prefix of it, a contiguous substring, or
 * matches "words" — each query character continues the current match or starts at a later word start
 * ("g p" and "gp" both match "Git: Pull"), separators matching separators. A port of VS Code's
 * `or(matchesPrefix, matchesWords, matchesContiguousSubString)` (src/vs/base/common/filters.ts), case-insensitive.
 */
export function paletteMatches(query: string, label: string): boolean {
  const q = query.toLowerCase();
  const t = label.toLowerCase();
  if (t.startsWith(q) || t.includes(q)) return true;
  for (let start = 0; start < t.length; start = nextWord(t, start + 1)) {
    if (matchWords(q, t, 0, start)) return true;
  }
  return false;
}

const SEPARATORS = new Set('()[]{}<>`\'"-/;:,.?! \t'.split(''));
const isSeparator = (c: string): boolean => SEPARATORS.has(c);
const charsMatch = (a: string, b: string): boolean => a === b || (isSeparator(a) && isSeparator(b));

/** The next index at or after `from` that is a separator or follows one. */
function nextWord(t: string, from: number): number {
  for (let i = from; i < t.length; i++) if (isSeparator(t[i]) || (i > 0 && isSeparator(t[i - 1]))) return i;
  return t.length;
}

function matchWords(q: string, t: string, i: number, j: number): boolean {
  if (i === q.length) return true;
  if (j === t.length || !charsMatch(q[i], t[j])) return false;
  if (matchWords(q, t, i + 1, j + 1)) return true;
  for (let k = nextWord(t, j + 1); k < t.length; k = nextWord(t, k + 1)) if (matchWords(q, t, i + 1, k)) return true;
  return false;
}
