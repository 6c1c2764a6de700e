import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactSecrets, redactingLogger, type Logger } from '../../src/core/log';
import { describeError, KrustletError } from '../../src/core/errors';
import { formatToken, generateToken } from '../../src/core/token';

void test('redactSecrets masks bootstrap tokens wherever they appear', () => {
  const t = formatToken(generateToken());
  const out = redactSecrets(`created ${t}, again: "${t}"`);
  assert.ok(!out.includes(t.slice(7)));
  assert.ok(out.includes(`${t.slice(0, 6)}.****************`));
});

void test('redactSecrets masks token fields in YAML and JSON', () => {
  const yaml = 'users:\n- name: u\n  user:\n    token: eyJhbGciOiJSUzI1NiIsImtpZCI6Ij\n';
  assert.ok(!redactSecrets(yaml).includes('eyJhbGciOiJSUzI1NiIsImtpZCI6Ij'));
  const json = JSON.stringify({ 'token-secret': '0123456789abcdef' });
  assert.ok(!redactSecrets(json).includes('0123456789abcdef'));
});

void test('redactingLogger redacts every level', () => {
  const lines: string[] = [];
  const sink: Logger = { debug: (m) => lines.push(m), info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) };
  const log = redactingLogger(sink);
  const t = formatToken(generateToken());
  log.debug(t);
  log.info(t);
  log.warn(t);
  log.error(t);
  assert.equal(lines.length, 4);
  for (const l of lines) assert.ok(!l.includes(t.slice(7)), l);
});

void test('errors describe themselves in one line', () => {
  assert.equal(describeError(new KrustletError('timeout', 'No answer.', 'Check the server.')), 'No answer. Check the server.');
  assert.equal(describeError(new Error('plain')), 'plain');
});
