/** Structured fixes: the core says what to do as data; the CLI words each kind as its flags and commands. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cliFix, errorLine, findingFix } from '../../src/cli/errors';
import { KrustletError, type Fix, type FixKind } from '../../src/core/errors';

const EVERY_KIND: Record<FixKind, Fix> = {
  'select-context': { kind: 'select-context', data: { contexts: ['dev', 'prod'] } },
  'set-kubeconfig': { kind: 'set-kubeconfig' },
  'edit-kubeconfig': { kind: 'edit-kubeconfig', data: { file: '/k' } },
  'check-credentials': { kind: 'check-credentials' },
  retry: { kind: 'retry' },
  'apply-rbac': { kind: 'apply-rbac' },
  'ask-admin': { kind: 'ask-admin', data: { permission: "'create' on secrets" } },
  'choose-output': { kind: 'choose-output', data: { path: '/o' } },
  force: { kind: 'force', data: { path: '/o' } },
  'delete-token': { kind: 'delete-token', data: { id: 'abcdef' } },
  list: { kind: 'list', data: { what: 'csrs' } },
  'fix-input': { kind: 'fix-input', data: { input: 'ttl' } },
  'report-bug': { kind: 'report-bug' },
};

void test('the CLI words each fix kind as its flags and commands, in one sentence', () => {
  const words = Object.fromEntries(Object.entries(EVERY_KIND).map(([k, f]) => [k, cliFix(f)]));
  assert.equal(words['select-context'], 'Pass --context with one of: dev, prod.');
  assert.equal(cliFix({ kind: 'select-context' }), 'Pass --context NAME to use another context.');
  assert.match(words['set-kubeconfig'] ?? '', /--kubeconfig PATH/);
  assert.match(words.force ?? '', /--force .*-o\/--output/);
  assert.match(words['choose-output'] ?? '', /-o\/--output/);
  assert.equal(words['delete-token'], 'Delete it with `krustlet-bootstrap token delete abcdef`.');
  assert.equal(words.list, 'Run `krustlet-bootstrap csr list` to see them.');
  assert.match(words['apply-rbac'] ?? '', /krustlet-bootstrap rbac apply/);
  assert.equal(words['fix-input'], undefined, 'the hint already says what a valid value is');
  for (const [k, w] of Object.entries(words)) if (w !== undefined) assert.match(w, /^[A-Z].*\.$/, k);
});

void test('errorLine: message, hint, then the fix in the CLI words; one line', () => {
  const e = new KrustletError('unreachable', 'Cannot reach the API server at https://x (connection refused).', 'Check that the cluster is running.', { fix: { kind: 'select-context' } });
  assert.equal(e.toLine(), 'Cannot reach the API server at https://x (connection refused). Check that the cluster is running.');
  assert.equal(errorLine(e), `${e.toLine()} Pass --context NAME to use another context.`);
  assert.equal(errorLine(new KrustletError('api-error', 'Two\nlines.')), 'Two lines.');
  assert.equal(errorLine(new Error('plain')), 'plain');
});

void test('a preflight finding: the neutral text and the CLI action (rbac apply first)', () => {
  assert.equal(
    findingFix({ id: 'binding:x', ok: false, message: 'm', fix: 'By hand: kubectl create clusterrolebinding x', action: { kind: 'apply-rbac' } }),
    "Run `krustlet-bootstrap rbac apply` to create kubeadm's bootstrap bindings. By hand: kubectl create clusterrolebinding x",
  );
  assert.equal(findingFix({ id: 'p', ok: false, message: 'm', fix: 'Ask an admin.', action: { kind: 'ask-admin', data: { permission: 'p' } } }), 'Ask an admin. Pass --context NAME to use another context.');
  assert.equal(findingFix({ id: 'p', ok: false, message: 'm', fix: 'Only text.' }), 'Only text.');
});
