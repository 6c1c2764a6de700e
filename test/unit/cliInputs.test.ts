/** The CLI's option values checked before anything happens: --timeout, values that start with a dash, object names. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLUSTER_OPTIONS, parse, timeoutMs } from '../../src/cli/common';
import { objectSegment } from '../../src/core/cluster';
import { isKrustletError } from '../../src/core/errors';

void test('--timeout: seconds or a duration, 0.1 s to 1 h; anything else an error naming the range', () => {
  assert.equal(timeoutMs(undefined), undefined);
  assert.equal(timeoutMs('10'), 10_000);
  assert.equal(timeoutMs('2.5'), 2_500);
  assert.equal(timeoutMs('30s'), 30_000);
  assert.equal(timeoutMs('2m'), 120_000);
  assert.equal(timeoutMs('1h'), 3_600_000);
  assert.equal(timeoutMs('500ms'), 500);
  for (const bad of ['0', '1e12', '-1', 'abc', '', ' ', 'NaN', 'Infinity', '3601', '2h', '0.05', '10 minutes']) {
    assert.throws(() => timeoutMs(bad), (e: unknown) => isKrustletError(e, 'invalid-argument') && /0\.1 to 3600/.test(e.toLine()), bad);
  }
});

void test('a value that starts with a dash reaches its option (no "argument is ambiguous"); a known option stays one', () => {
  const opts = { ...CLUSTER_OPTIONS, ttl: { type: 'string' }, json: { type: 'boolean' }, output: { type: 'string', short: 'o' } } as const;
  assert.equal(parse(['--ttl', '-1'], opts, 'bootstrap').values.ttl, '-1');
  assert.equal(parse(['-o', '-weird-name'], opts, 'bootstrap').values.output, '-weird-name');
  assert.equal(parse(['--timeout', '-5'], opts, 'bootstrap').values.timeout, '-5');
  assert.throws(() => parse(['--context', '--json'], opts, 'bootstrap'), (e: unknown) => isKrustletError(e, 'invalid-argument'));
  const p = parse(['--', '--ttl', '-1'], opts, 'bootstrap', true);
  assert.deepEqual(p.positionals, ['--ttl', '-1'], 'after -- nothing is joined');
});

void test('object names: empty, dot, dot-dot, slash and percent are refused; anything else is percent-encoded', () => {
  for (const bad of ['', '.', '..', 'a/b', '50%']) assert.throws(() => objectSegment('CertificateSigningRequest', bad), (e: unknown) => isKrustletError(e, 'invalid-argument'), JSON.stringify(bad));
  assert.equal(objectSegment('CertificateSigningRequest', 'edge-7-tls'), 'edge-7-tls');
  assert.equal(objectSegment('CertificateSigningRequest', 'a b?c#\u001b'), 'a%20b%3Fc%23%1B');
});
