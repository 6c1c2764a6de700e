/**
 * The CLI's answers to the Bootstrap use case's questions (src/cli/bootstrap.ts cliQuestions): flags
 * first, then a prompt on a terminal, else the documented default or a refusal naming the flag.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BootstrapDeclined } from '../../src/core/bootstrap';
import { isKrustletError } from '../../src/core/errors';
import type { PreflightFinding } from '../../src/core/types';
import { cliQuestions } from '../../src/cli/bootstrap';
import { errorLine } from '../../src/cli/errors';
import type { CliIO } from '../../src/cli/common';

function io(answers?: (string | undefined)[]): CliIO & { err: string; asked: string[] } {
  const o = {
    err: '',
    asked: [] as string[],
    stdout: () => undefined,
    stderr: (t: string) => void (o.err += t),
    env: {},
  } as CliIO & { err: string; asked: string[] };
  if (answers) {
    o.prompt = (q: string) => {
      o.asked.push(q);
      return Promise.resolve(answers.shift());
    };
  }
  return o;
}

const rbac: PreflightFinding = { id: 'binding:kubeadm:kubelet-bootstrap', ok: false, message: 'No binding of ClusterRole system:node-bootstrapper.', action: { kind: 'apply-rbac' } };
const other: PreflightFinding = { id: 'approve-csrs', ok: false, message: 'You may not update certificatesigningrequests/approval.', fix: 'Ask a cluster admin.' };
const replaced = { id: 'abcdef', secretName: 'bootstrap-token-abcdef' };

void test('without a terminal: an existing file is refused with --force named; the replaced token is revoked; RBAC is not applied (a warning); other findings are refused with --yes named', async () => {
  const o = io();
  const q = cliQuestions({}, o);
  await assert.rejects(q.overwrite('/x/bootstrap.conf'), (e: unknown) => isKrustletError(e, 'output-exists') && /Pass --force/.test(errorLine(e)));
  assert.equal(await q.revokeReplaced(replaced, '/x/bootstrap.conf'), true, 'Revoke is the default');
  assert.equal(await q.applyRbac([rbac]), false);
  assert.match(o.err, /^warning: The cluster lacks kubeadm's bootstrap RBAC bindings .*Pass --apply-rbac, or run `krustlet-bootstrap rbac apply`\.\n$/);
  await assert.rejects(q.proceed([other]), (e: unknown) => isKrustletError(e, 'preflight-failed') && /found a problem: You may not update .*Pass --yes/.test(errorLine(e)));
});

void test('flags answer every question without asking', async () => {
  const o = io([]);
  const q = cliQuestions({ force: true, 'apply-rbac': true, yes: true, 'keep-replaced': true }, o);
  assert.equal(await q.overwrite('/x'), true);
  assert.equal(await q.revokeReplaced(replaced, '/x'), false);
  assert.equal(await q.applyRbac([rbac]), true);
  assert.equal(await q.proceed([other]), true);
  assert.deepEqual(o.asked, [], 'nothing asked');
  assert.match(o.err, /^warning: You may not update/m, '--yes still shows what it goes on despite');
  assert.equal(await cliQuestions({ 'revoke-replaced': true }, io([])).revokeReplaced(replaced, '/x'), true);
});

void test('on a terminal: asked, with the documented default on Enter; end of input stops', async () => {
  const o = io(['', '', '', 'y', 'n']);
  const q = cliQuestions({}, o);
  assert.equal(await q.overwrite('/x'), false, 'Enter = no');
  assert.equal(await q.revokeReplaced(replaced, '/x'), true, 'Enter = revoke');
  assert.equal(await q.applyRbac([rbac]), false, 'Enter = no');
  assert.equal(await q.proceed([other]), true);
  assert.equal(await q.overwrite('/x'), false);
  assert.match(o.asked[0], /\/x already exists\. Replace it .*\[y\/N\] $/);
  assert.match(o.asked[1], /holds bootstrap token abcdef .*\[Y\/n\] $/);
  await assert.rejects(cliQuestions({}, io([undefined])).overwrite('/x'), (e: unknown) => e instanceof BootstrapDeclined);
  assert.equal(await cliQuestions({}, io([undefined])).applyRbac([rbac]), undefined, 'no answer: stop');
});
