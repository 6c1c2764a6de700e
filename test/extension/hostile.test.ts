// Text from the cluster is untrusted. A CSR created by a real identity (an impersonated node) whose
// name, requester and SANs carry Markdown, a command: link, HTML, terminal escapes and bidi overrides,
// and are long: every place VS Code shows it — tree label and description, tooltip, the review
// document, the expected-hostname notification, the approve modal — shows it literally, one line,
// short, with no link or command anyone could click.
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { connect, type Cluster } from '../../src/core/cluster';
import type { KrustletTestApi } from '../../src/extension';
import { REVIEW_SCHEME } from '../../src/vscode/constants';
import type { CsrCommandResult } from '../../src/vscode/commands/csr';
import type { CsrNode } from '../../src/vscode/views/nodes';
import { csrManifest, makeCsr, SERVING_USAGES } from '../support/csrFactory';
import { activateForTests } from '../support/extension';
import { kubectl } from '../support/kubectl';
import { testEnded, until } from '../support/poll';
import { FakePrompter } from '../support/prompter';

const kubeconfig = process.env.KRUSTLET_TEST_KUBECONFIG ?? '';

/** Controls and invisible format characters, shown raw. */
const RAW_INVISIBLE = /[\p{Cc}\p{Cf}\u2028\u2029]/u;
/** A Markdown link as a notification (or a MarkdownString) would make it clickable: `[text](target`. */
const LINK = /\[[^\]]*\]\(/;
/** The same in Markdown source: an unescaped `](`. */
const MD_LINK = /(^|[^\\])\]\(/m;

/** One line of plain text for a label, a description or a message: nothing invisible, no link, at most `max` characters. */
function assertPlain(what: string, text: string | undefined, max?: number): void {
  assert.ok(text !== undefined, `${what} is missing`);
  assert.ok(!RAW_INVISIBLE.test(text), `${what} holds a raw control or format character: ${JSON.stringify(text)}`);
  assert.ok(!LINK.test(text), `${what} holds a Markdown link: ${text}`);
  if (max !== undefined) assert.ok([...text].length <= max, `${what} is ${[...text].length} characters long`);
}

/** Markdown source where every piece of cluster text is escaped: no raw invisible characters, no link, no HTML. */
function assertMarkdown(what: string, md: string): void {
  assert.ok(!RAW_INVISIBLE.test(md.replace(/\n/g, '')), `${what} holds a raw control or format character`);
  assert.ok(!MD_LINK.test(md), `${what} holds an unescaped link:\n${md}`);
  assert.ok(!/<img|<a |<script/i.test(md), `${what} holds raw HTML:\n${md}`);
  assert.ok(!/\]\(command:/.test(md.replace(/\\\]\\\(/g, '')), `${what} holds a command link`);
}

suite('untrusted text from the cluster: a hostile CSR by a real identity', function () {
  this.timeout(60_000);
  let api: KrustletTestApi;
  let admin: Cluster;
  const run = randomBytes(3).toString('hex');
  // The host part: Markdown, a command: link, a terminal escape (clear screen), BEL, a right-to-left override, and long.
  const host = `kt-${run}-[Approve me](command:krustlet.approveCsr)-<img src=x onerror=alert(1)>-\u001b[2J\u0007-\u202etxt.exe-${'x'.repeat(150)}`;
  const name = `${host}-tls`;
  const user = `system:node:kt-${run}-**[bold](command:krustlet.showLog)**`;

  suiteSetup(async () => {
    assert.ok(kubeconfig && existsSync(kubeconfig), "KRUSTLET_TEST_KUBECONFIG must name the control plane's admin kubeconfig");
    api = await activateForTests();
    admin = await connect({ kubeconfigPath: kubeconfig });
    const cfg = vscode.workspace.getConfiguration('krustlet');
    await cfg.update('kubeconfig', kubeconfig, vscode.ConfigurationTarget.Global);
    // Expected, so the notifier speaks about it too.
    await cfg.update('expectedHostnames', [host], vscode.ConfigurationTarget.Global);
    await until('connected with the CSR watch live', () => api.service.state.kind === 'connected' && api.service.csrs.status.state === 'live' && api.service.cluster?.server === admin.server);
  });

  suiteTeardown(async () => {
    api?.setPrompter(undefined);
    await vscode.workspace.getConfiguration('krustlet').update('expectedHostnames', undefined, vscode.ConfigurationTarget.Global);
    await admin?.deleteCsr(name).catch(() => undefined);
  });

  teardown(() => {
    testEnded();
    api.setPrompter(undefined);
  });

  test('tree, tooltip, review document, notification and modal show it literally, on one line, short, with nothing to click', async () => {
    const people = new FakePrompter();
    api.setPrompter(people);
    const made = await makeCsr({
      cn: `system:node:${host}`,
      o: ['system:nodes'],
      dns: [`evil](command:krustlet.showLog)\u0007`, `${'a'.repeat(300)}.example`],
      uris: ['command:krustlet.approveCsr'],
      key: 'ecdsa-p256',
    });
    await kubectl(kubeconfig, ['--as', user, '--as-group', 'system:nodes', '--as-group', 'system:authenticated', 'create', '-f', '-'], JSON.stringify(csrManifest(name, made, 'kubernetes.io/kubelet-serving', SERVING_USAGES)));
    const csr = await until('the hostile CSR in the store', () => api.service.csrs.get(name));
    assert.equal(csr.username, user, 'the API server recorded the impersonated identity');
    const node = await until('the hostile CSR in the tree', () => api.tree.getChildren(api.tree.csrsGroup).find((n): n is CsrNode => n.kind === 'csr' && n.name === name));

    // The tree item: label and description.
    const item = api.tree.getTreeItem(node);
    const label = typeof item.label === 'string' ? item.label : item.label?.label;
    assertPlain('the label', label, 120);
    assert.ok(label?.includes('\\x07') && label.includes('\\u202e'), `the label shows the escapes: ${label}`);
    assertPlain('the description', String(item.description));
    assertPlain('the accessibility label', item.accessibilityInformation?.label);

    // The tooltip on hover.
    const hovered = await Promise.resolve(api.tree.resolveTreeItem(api.tree.getTreeItem(node), node));
    const tooltip = hovered.tooltip as vscode.MarkdownString;
    assert.equal(tooltip.isTrusted, false);
    assertMarkdown('the tooltip', tooltip.value);
    assert.match(tooltip.value, /Review: FAIL/);

    // The review document (the Markdown preview renders it).
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.from({ scheme: REVIEW_SCHEME, path: `/${encodeURIComponent(name)}.md` }));
    const text = doc.getText();
    const [beforePem] = text.split('## The request (PEM)');
    assertMarkdown('the review document', beforePem);
    assert.match(text, /## Every check/);
    assert.ok(text.includes('BEGIN CERTIFICATE REQUEST'));

    // The notifier (the hostname is expected): one plain line.
    const note = await until('the notification', () => people.of('notice').find((a) => a.message.includes('asks for its serving certificate')));
    assertPlain('the notification', note.message, 400);

    // Approving it alone asks, with the reasons: plain text, and the name in the question cut short.
    const r = (await vscode.commands.executeCommand<CsrCommandResult>('krustlet.approveCsr', node, [node]));
    assert.deepEqual(r.done, []);
    const modal = people.of('modal').find((a) => a.items.includes('Approve Anyway'));
    assert.ok(modal, JSON.stringify(people.asked));
    assertPlain('the question', modal.message, 250);
    for (const line of (modal.detail ?? '').split('\n')) assertPlain('a line of the reasons', line);
    assert.equal((await admin.getCsr(name)).state, 'pending');

    // And it can be deleted like any other (its name travels URL-encoded).
    const del = await vscode.commands.executeCommand<CsrCommandResult>('krustlet.deleteCsr', node, [node], { confirm: true });
    assert.deepEqual(del.done, [name], JSON.stringify(del));
    await until('gone from the store', () => !api.service.csrs.get(name));
  });
});
