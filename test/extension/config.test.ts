// The settings glue (src/vscode/config.ts) on its own: which workspace folder a file belongs to.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { folderContaining } from '../../src/vscode/config';

const folder = (fsPath: string, index: number): vscode.WorkspaceFolder => ({ uri: vscode.Uri.file(fsPath), name: fsPath.split('/').pop() ?? fsPath, index });

suite('settings glue', () => {
  test('a file belongs to the workspace folder that contains it by whole path segments (/ws/a does not contain /ws/ab)', () => {
    const a = folder('/ws/a', 0);
    const ab = folder('/ws/ab', 1);
    assert.equal(folderContaining('/ws/ab/.krustlet/bootstrap.conf', [a, ab]), ab);
    assert.equal(folderContaining('/ws/a/.krustlet/bootstrap.conf', [ab, a]), a);
    assert.equal(folderContaining('/ws/abc/bootstrap.conf', [a, ab]), undefined);
    assert.equal(folderContaining('/ws/a', [a]), a, 'the folder itself');
    assert.equal(folderContaining('/ws/a/..b/bootstrap.conf', [a]), a, 'a sub-folder whose name starts with two dots');
    assert.equal(folderContaining('/ws/bootstrap.conf', [a]), undefined, 'the parent');
    const inner = folder('/ws/a/inner', 2);
    assert.equal(folderContaining('/ws/a/inner/bootstrap.conf', [a, inner]), inner, 'nested folders: the innermost');
  });
});
