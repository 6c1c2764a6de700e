/**
 * What a CSR asks for, in a few plain lines (CLI `csr review`) and as a Markdown block (the tree
 * item's tooltip). Every value from the request is escaped: a CSR is attacker-controlled text.
 */
import type { CsrInfo, CsrReview, FindingSource, ReviewFinding, Verdict } from '../types';
import { formatAge, formatLifetime, shortSignerName } from './format';

export interface RequestSummary {
  /** `Label: value` lines, then the verdict and one line per reason. */
  lines: string[];
  markdown: string;
}

const MARK: Record<Verdict, string> = { pass: 'ok  ', warn: 'WARN', fail: 'FAIL' };
const MD_MARK: Record<Verdict, string> = { pass: '✓', warn: '⚠', fail: '✗' };

/** What a finding checked, as every front end names it ("" for the request itself). */
export const SOURCE_LABEL: Record<FindingSource, string> = {
  request: '',
  node: 'Node object',
  token: 'token Secret',
  service: 'Services',
  certificate: 'current certificate',
  context: 'context not available',
};

/** A finding's message with what it checked in front, e.g. "[Node object] IP SAN 10.0.0.9 is not …". */
export function findingText(f: ReviewFinding): string {
  const label = SOURCE_LABEL[f.source ?? 'request'];
  return label ? `[${label}] ${f.message}` : f.message;
}

/** The reasons behind a verdict: the findings that did not pass (empty when everything passed). */
export function reviewReasons(review: CsrReview): ReviewFinding[] {
  return review.findings.filter((f) => f.verdict !== 'pass');
}

export function summarizeRequest(csr: CsrInfo, review: CsrReview, now: Date = new Date()): RequestSummary {
  const d = review.decoded;
  const fields: Array<[string, string]> = [];
  fields.push(['Name', `${csr.name} (${csr.state}${csr.createdAt ? `, ${formatAge(csr.createdAt, now)} old` : ''})`]);
  fields.push(['Signer', `${csr.signerName}${shortSignerName(csr.signerName) !== csr.signerName ? ` (${shortSignerName(csr.signerName)})` : ''}`]);
  fields.push(['Requestor', `${csr.username ?? '(unknown)'}${csr.groups.length ? ` (groups: ${csr.groups.join(', ')})` : ''}`]);
  if (d) {
    const subject = [d.commonName !== undefined ? `CN=${d.commonName}` : undefined, ...d.organizations.map((o) => `O=${o}`)].filter(Boolean).join(', ');
    fields.push(['Subject', subject || '(empty)']);
    const sans = [
      ...d.dnsNames.map((n) => `DNS:${n}`),
      ...d.ipAddresses.map((n) => `IP:${n}`),
      ...d.emailAddresses.map((n) => `email:${n}`),
      ...d.uris.map((n) => `URI:${n}`),
      ...(d.otherSans ?? []),
    ];
    fields.push(['SANs', sans.join(', ') || '(none)']);
    fields.push(['Key', `${d.keyAlgorithm}${d.signatureValid ? '' : ' (signature does NOT verify)'}`]);
  } else {
    fields.push(['Request', 'undecodable']);
  }
  fields.push(['Usages', csr.usages.join(', ') || '(none)']);
  fields.push(['Duration', csr.expirationSeconds !== undefined ? formatLifetime(csr.expirationSeconds) : "signer's default"]);

  const reasons = reviewReasons(review);
  const width = Math.max(...fields.map(([k]) => k.length)) + 1;
  const lines = fields.map(([k, v]) => `${`${k}:`.padEnd(width)} ${v}`);
  lines.push(`${'Verdict:'.padEnd(width)} ${review.verdict.toUpperCase()}`);
  for (const f of reasons) lines.push(`  ${MARK[f.verdict]} ${findingText(f)}`);

  const md: string[] = [];
  md.push(`**${esc(csr.name)}** — ${esc(csr.state)}, ${esc(shortSignerName(csr.signerName))}`, '');
  for (const [k, v] of fields.slice(1)) md.push(`- **${k}:** ${esc(v)}`);
  md.push('', `**Review: ${review.verdict.toUpperCase()}** ${MD_MARK[review.verdict]}`);
  if (reasons.length) {
    md.push('');
    for (const f of reasons) md.push(`- ${MD_MARK[f.verdict]} ${esc(findingText(f))}`);
  }
  return { lines, markdown: md.join('\n') };
}

/** Escapes Markdown and HTML specials so request text renders literally. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~&]/g, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '&' ? '&amp;' : `\\${c}`)).replace(/\r?\n/g, ' ')
    // An escaped "https:\/\/…" is not autolinked, so the escape after a URL ("…:6443\)") is not swallowed into the link as a stray backslash.
    .replace(/:\/\//g, ':\\/\\/');
}
const esc = escapeMarkdown;
