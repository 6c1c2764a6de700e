import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decidedAt, expiredTokensOf, prunableCsrsOf } from '../../src/core/prune';
import type { CsrInfo, CsrState, TokenInfo } from '../../src/core/types';

const now = new Date('2026-01-01T12:00:00Z');
const ago = (s: number) => new Date(now.getTime() - s * 1000);

function csr(name: string, state: CsrState, createdSecondsAgo: number, decidedSecondsAgo?: number): CsrInfo {
  const type = { approved: 'Approved', issued: 'Approved', denied: 'Denied', failed: 'Failed', pending: '' }[state];
  return {
    name, state, signerName: 'kubernetes.io/kubelet-serving', requestPem: '', usages: [], groups: [], hasCertificate: state === 'issued',
    createdAt: ago(createdSecondsAgo),
    conditions: type && decidedSecondsAgo !== undefined ? [{ type, status: 'True', lastUpdateTime: ago(decidedSecondsAgo) }] : [],
  };
}

void test('csr prune takes decided and failed requests by when they were decided; pending ones only when asked', () => {
  const all = [csr('old-pending', 'pending', 7200), csr('issued', 'issued', 7200, 4000), csr('denied-late', 'denied', 7200, 60), csr('failed', 'failed', 5000, 5000)];
  assert.deepEqual(prunableCsrsOf(all, { olderThanSeconds: 3600, now }).map((c) => c.name), ['issued', 'failed'], 'decided an hour ago, not created an hour ago');
  assert.deepEqual(prunableCsrsOf(all, { now }).map((c) => c.name), ['denied-late', 'issued', 'failed'], 'oldest first, then by name');
  assert.deepEqual(prunableCsrsOf(all, { olderThanSeconds: 3600, includePending: true, now }).map((c) => c.name), ['issued', 'old-pending', 'failed']);
  assert.equal(decidedAt(csr('x', 'approved', 100))?.getTime(), ago(100).getTime(), 'no condition time: the creation time');
});

void test('token prune takes only expired tokens, never one without expiry', () => {
  const t = (id: string, expiration?: Date): TokenInfo => ({ id, secretName: `bootstrap-token-${id}`, expiration, expired: false, usages: [], extraGroups: [] });
  assert.deepEqual(expiredTokensOf([t('later1', ago(-60)), t('never1'), t('gone02', ago(10)), t('gone01', ago(100))], now).map((x) => x.id), ['gone01', 'gone02']);
});
