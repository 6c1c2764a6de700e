/** The CLI's command table: every lazily loaded group is the one its row names, with its own help. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COMMANDS } from '../../src/cli/main';

void test('every command row loads the group it names', async () => {
  assert.deepEqual(
    COMMANDS.map((c) => c.name),
    ['bootstrap', 'token', 'csr', 'preflight', 'rbac', 'agent'],
  );
  for (const row of COMMANDS) {
    assert.ok(row.summary.length > 10, row.name);
    const group = await row.load();
    assert.equal(group.name, row.name);
    assert.match(group.help, new RegExp(`^Usage: krustlet-bootstrap ${row.name}\\b`), row.name);
    assert.equal(typeof group.run, 'function');
  }
});
