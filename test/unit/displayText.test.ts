/** Text from the cluster is untrusted: the core's displayText, and the CLI's tables, JSON and output built on it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { displaySafeIO, jsonText, table, type CliIO } from '../../src/cli/common';
import { displayText } from '../../src/core/text';

/** What an attacker puts into a CSR name, a SAN or a token description. */
const HOSTILE = [
  '\x1b]0;pwned\x07', // set the terminal title
  '\x1b[2K\x1b[1A', // erase the line, move up
  'a\nforged-row   2m   kubelet-serving   system:node:x   Approved,Issued   pass', // a forged table row
  'ok\rFAIL', // carriage return overwrites
  '\x9b31m', // 8-bit CSI
  'evil\u202egnp.exe', // right-to-left override
  'zero\u200bwidth\u2028line',
  '\x00\x7f',
];

void test('displayText escapes every control and invisible format character, keeping printable text', () => {
  for (const h of HOSTILE) {
    const shown = displayText(h);
    assert.doesNotMatch(shown, /[\p{Cc}\p{Cf}\u2028\u2029]/u, JSON.stringify(shown));
  }
  assert.equal(displayText('\x1b[2J'), '\\x1b[2J');
  assert.equal(displayText('a\nb\tc\rd'), 'a\\nb\\tc\\rd');
  assert.equal(displayText('evil\u202etxt'), 'evil\\u202etxt');
  assert.equal(displayText('\x9b'), '\\x9b');
  assert.equal(displayText('lone \ud800 surrogate'), 'lone \\ud800 surrogate');
  for (const fine of ['kb-host-tls', 'système:nœud', '节点-1', 'emoji 🚀 ok', 'DOMAIN\\user']) assert.equal(displayText(fine), fine);
});

void test('displayText with max cuts long text to max characters ending in …', () => {
  assert.equal(displayText('short', { max: 10 }), 'short');
  assert.equal(displayText('x'.repeat(10), { max: 10 }), 'x'.repeat(10));
  assert.equal(displayText('x'.repeat(11), { max: 10 }), `${'x'.repeat(9)}…`);
  assert.equal([...displayText('🚀'.repeat(50), { max: 8 })].length, 8);
});

void test('table: no cell can forge a row or drive the terminal; long free text is cut', () => {
  const out = table(['NAME', { header: 'DESCRIPTION', max: 12 }, 'LAST'], [
    [HOSTILE[2], 'a description far longer than twelve', 'x'],
    [HOSTILE[0], 'fine', 'y'],
  ]);
  const lines = out.trimEnd().split('\n');
  assert.equal(lines.length, 3, out);
  assert.doesNotMatch(out.replace(/\n/g, ''), /[\p{Cc}\p{Cf}]/u);
  assert.ok(lines[1].includes('a descripti…'), lines[1]);
  // Columns stay aligned: the LAST column starts at the same offset on every row.
  const at = lines.map((l) => l.lastIndexOf(' ') + 1);
  assert.equal(new Set(at).size, 1, out);
});

void test('jsonText is exact JSON and terminal-safe', () => {
  const value = { names: HOSTILE, n: 1, nested: { d: '\u202e\x9b' } };
  const text = jsonText(value);
  assert.deepEqual(JSON.parse(text), value, 'the same value');
  assert.doesNotMatch(text.replace(/\n/g, ''), /[\p{Cc}\p{Cf}\u2028\u2029]/u);
});

void test('the IO main() gives every command escapes whatever is written, but not line breaks', () => {
  let out = '';
  let err = '';
  const raw: CliIO = { stdout: (t) => void (out += t), stderr: (t) => void (err += t), env: {} };
  const io = displaySafeIO(raw);
  io.stdout(`CSR ${HOSTILE[0]} approved\nnext line\n`);
  io.stderr(`error: ${HOSTILE[1]}\n`);
  assert.equal(out, 'CSR \\x1b]0;pwned\\x07 approved\nnext line\n');
  assert.equal(err, 'error: \\x1b[2K\\x1b[1A\n');
  const json = jsonText({ name: HOSTILE[4] });
  io.stdout(json);
  assert.ok(out.endsWith(json), 'JSON passes unchanged');
});
