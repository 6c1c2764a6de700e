import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isKrustletError } from '../../src/core/errors';
import { formatTtl, parseTtl, rfc3339 } from '../../src/core/token';

void test('parseTtl accepts kubeadm-style durations', () => {
  const cases: [string, number][] = [
    ['0', 0],
    ['0s', 0],
    ['1h', 3600],
    ['24h', 86400],
    ['90m', 5400],
    ['1h30m', 5400],
    ['45s', 45],
    ['1h0m0s', 3600],
    ['1.5h', 5400],
    [' 2h ', 7200],
  ];
  for (const [s, n] of cases) assert.equal(parseTtl(s), n, s);
});

void test('parseTtl rejects junk with a one-line error and a hint', () => {
  for (const s of ['', '1', '60', 'h', '1d', '-1h', '1h 30m', 'abc', '1m1h1m', '1hh', '1H', '0.1s', '1h-', '1e3h']) {
    assert.throws(
      () => parseTtl(s),
      (e: unknown) => isKrustletError(e, 'invalid-ttl') && !!e.hint && /1h/.test(e.hint) && !e.toLine().includes('\n'),
      `'${s}' must be rejected`,
    );
  }
});

void test('formatTtl and rfc3339', () => {
  assert.equal(formatTtl(0), 'never');
  assert.equal(formatTtl(3600), '1h');
  assert.equal(formatTtl(5400), '1h30m');
  assert.equal(formatTtl(90061), '1d1h1m1s');
  assert.equal(rfc3339(new Date('2020-06-04T20:07:24.999Z')), '2020-06-04T20:07:24Z');
});
