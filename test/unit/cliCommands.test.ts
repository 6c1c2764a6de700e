/** The CLI's command table: every lazily loaded group is the one its row names, with its own help. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COMMANDS } from '../../src/cli/main';

void test('every command row loads the group it names', async () => {
  assert.deepEqual(
    COMMANDS.map((c) => c.name),
    ['bootstrap', 'token', 'csr', 'node', 'preflight', 'cluster-info', 'rbac', 'agent', 'completion'],
  );
  for (const row of COMMANDS) {
    assert.ok(row.summary.length > 10, row.name);
    const group = await row.load();
    assert.equal(group.name, row.name);
    assert.match(group.help, new RegExp(`^Usage: krustlet-bootstrap ${row.name}\\b`), row.name);
    assert.equal(typeof group.run, 'function');
  }
});

void test('a group with subcommands prints its help: exit 1 without a subcommand, 0 with --help/-h', async () => {
  for (const name of ['token', 'csr', 'node', 'cluster-info', 'rbac', 'agent', 'completion']) {
    const group = await COMMANDS.find((c) => c.name === name)!.load();
    for (const [args, code] of [[[], 1], [['--help'], 0], [['-h'], 0]] as const) {
      let out = '';
      let err = '';
      const rc = await group.run([...args], { stdout: (t) => void (out += t), stderr: (t) => void (err += t), env: {} });
      assert.equal(rc, code, `${name} ${args.join(' ')}`);
      assert.equal(out, group.help, `${name} ${args.join(' ')}`);
      assert.equal(err, '');
    }
  }
});
