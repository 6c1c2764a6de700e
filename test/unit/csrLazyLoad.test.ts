// The x509 stack (@peculiar/x509 + reflect-metadata) loads at the first decode, not when the CSR
// modules load: the extension's activation and the CLI's bootstrap never pay for it.
// Its own file, so node:test runs it in a fresh process with an empty module cache.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { decodeCsrPem, x509Loaded } from '../../src/core/csr/decode';
import { reviewCsr } from '../../src/core/csr/review';
import { summarizeRequest } from '../../src/core/csr/summary';

const FIXTURES = resolve(__dirname, '../../../test/fixtures/csr');
const loadedModules = () => Object.keys(require.cache).filter((k) => /[\\/](@peculiar[\\/]x509|reflect-metadata|tsyringe)[\\/]/.test(k));

void test('loading the CSR modules does not load the x509 stack; the first decode does, once', () => {
  assert.equal(typeof reviewCsr, 'function');
  assert.equal(typeof summarizeRequest, 'function');
  assert.equal(x509Loaded(), false);
  assert.deepEqual(loadedModules(), [], 'no x509 module in the require cache before the first decode');

  const r = decodeCsrPem(readFileSync(resolve(FIXTURES, 'krustlet-serving-MyHost.csr.pem'), 'utf8'));
  assert.ok(r.ok, r.ok ? '' : r.error);
  assert.equal(r.decoded.commonName, 'system:node:MyHost');
  assert.equal(r.decoded.signatureValid, true);
  assert.equal(x509Loaded(), true);
  assert.ok(loadedModules().some((k) => k.includes('x509')), 'the first decode loaded @peculiar/x509');

  const tampered = decodeCsrPem(readFileSync(resolve(FIXTURES, 'tampered.csr.pem'), 'utf8'));
  assert.ok(!tampered.ok || !tampered.decoded.signatureValid, 'a tampered request still fails its signature check');
});
