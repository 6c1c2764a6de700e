import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ReviewCache, type ReviewContext } from '../../src/core/csr/reviewCache';
import { reviewCsr, type ReviewOptions } from '../../src/core/csr/review';
import type { CsrInfo } from '../../src/core/types';
import { csrInfo, krustletServingSpec, makeCsr } from '../support/csrFactory';

/** A cache whose reviewer counts its calls, over a context the test moves. */
function counted(context: { current: ReviewContext }) {
  const calls: { name: string; options: ReviewOptions }[] = [];
  const cache = new ReviewCache(
    () => context.current,
    (csr, options) => {
      calls.push({ name: csr.name, options });
      return reviewCsr(csr, options);
    },
  );
  return { cache, calls };
}

void describe('ReviewCache', () => {
  void test('one review per uid + resourceVersion + context version; peek never reviews', async () => {
    const pem = (await makeCsr(krustletServingSpec('myhost', '10.0.0.5'))).pem;
    const v1: CsrInfo = csrInfo(pem, { uid: 'u-1', resourceVersion: '10' });
    const context = { current: { version: 1, options: { expectedHostnames: ['other'] } } };
    const { cache, calls } = counted(context);

    assert.equal(cache.peek(v1), undefined);
    assert.equal(calls.length, 0, 'peek does not review');
    const first = cache.get(v1);
    assert.equal(cache.get({ ...v1 }), first, 'the same version (another object) is served from the cache');
    assert.equal(cache.peek(v1), first);
    assert.equal(calls.length, 1);

    // A new version of the object (status or label change): reviewed again.
    const v2 = { ...v1, resourceVersion: '11' };
    assert.equal(cache.peek(v2), undefined);
    cache.get(v2);
    assert.equal(calls.length, 2);
    assert.equal(cache.size, 1, 'one entry per CSR');

    // The context changed (e.g. a new expected hostname): every review is stale.
    context.current = { version: 2, options: { expectedHostnames: ['myhost'] } };
    assert.equal(cache.peek(v2), undefined);
    const again = cache.get(v2);
    assert.equal(calls.length, 3);
    assert.deepEqual(calls[2].options, { expectedHostnames: ['myhost'] }, 'reviewed with the current context');
    assert.ok(again.findings.some((f) => /hostname this workspace expects/.test(f.message)), 'the new context shows in the review');

    // Deleted and recreated under the same name: another uid, another review.
    const recreated = { ...v2, uid: 'u-2', resourceVersion: '12' };
    cache.get(recreated);
    assert.equal(calls.length, 4);
  });

  void test('a CsrInfo without uid or resourceVersion is keyed by what the review reads', async () => {
    const pem = (await makeCsr(krustletServingSpec('myhost', '10.0.0.5'))).pem;
    const other = (await makeCsr(krustletServingSpec('myhost', '10.0.0.6'))).pem;
    const context = { current: { version: 1, options: {} } };
    const { cache, calls } = counted(context);
    const a = csrInfo(pem);
    cache.get(a);
    cache.get({ ...a });
    assert.equal(calls.length, 1);
    cache.get({ ...a, requestPem: other });
    cache.get({ ...a, usages: ['server auth'] });
    assert.equal(calls.length, 3, 'another request or other usages under the same name is reviewed again');
  });

  void test('forget and retain drop the entries of requests that are gone', async () => {
    const pem = (await makeCsr(krustletServingSpec('myhost', '10.0.0.5'))).pem;
    const { cache } = counted({ current: { version: 1, options: {} } });
    const a = csrInfo(pem, { name: 'a', uid: 'ua', resourceVersion: '1' });
    const b = csrInfo(pem, { name: 'b', uid: 'ub', resourceVersion: '1' });
    const c = csrInfo(pem, { name: 'c', uid: 'uc', resourceVersion: '1' });
    for (const x of [a, b, c]) cache.get(x);
    cache.forget(a);
    assert.equal(cache.peek(a), undefined);
    cache.retain([b]);
    assert.equal(cache.size, 1);
    assert.ok(cache.peek(b));
    assert.equal(cache.peek(c), undefined);
  });
});
