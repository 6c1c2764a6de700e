import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { main } from '../../src/cli/main';

async function script(shell: string): Promise<string> {
  let out = '';
  const rc = await main(['completion', shell], { stdout: (t) => void (out += t), stderr: () => undefined, env: {} });
  assert.equal(rc, 0);
  return out;
}

/** What bash completes for the words typed so far (the last one being completed). */
function complete(bash: string, words: string[]): string[] {
  const cmd = `${bash}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _krustlet_bootstrap; printf '%s\\n' "\${COMPREPLY[@]}"`;
  return execFileSync('bash', ['-c', cmd], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

void test('bash completion: commands, subcommands and each group’s options, from the CLI itself', async () => {
  const bash = await script('bash');
  assert.match(bash, /complete -o default -F _krustlet_bootstrap krustlet-bootstrap\n$/);
  assert.deepEqual(complete(bash, ['krustlet-bootstrap', 'c']), ['csr', 'cluster-info', 'completion']);
  assert.deepEqual(complete(bash, ['krustlet-bootstrap', 'token', '']), ['create', 'list', 'delete', 'prune']);
  assert.deepEqual(complete(bash, ['krustlet-bootstrap', 'token', 'create', '--print-']), ['--print-join-command', '--print-token']);
  assert.deepEqual(complete(bash, ['krustlet-bootstrap', 'csr', 'prune', '--older']), ['--older-than']);
  assert.deepEqual(complete(bash, ['krustlet-bootstrap', 'completion', '']), ['bash', 'zsh']);
});

void test('zsh completion uses bashcompinit; an unknown shell is an error', async () => {
  const zsh = await script('zsh');
  assert.match(zsh, /^# krustlet-bootstrap completion \(zsh\)[^\n]*\nautoload -U \+X bashcompinit && bashcompinit\n_krustlet_bootstrap\(\) \{/);
  let err = '';
  const rc = await main(['completion', 'fish'], { stdout: () => undefined, stderr: (t) => void (err += t), env: {} });
  assert.equal(rc, 1);
  assert.match(err, /^error: No completion for shell 'fish'\. Use `completion bash` or `completion zsh`\./);
});
