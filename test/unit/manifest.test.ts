/**
 * The manifest as a new user and the Marketplace meet it: every command title can be typed into the palette and
 * chosen with Enter (no other Krustlet title matches it), and the files the Marketplace wants are there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { paletteCollisions, paletteTitles, type Manifest } from '../support/manifest';

const root = join(__dirname, '..', '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Manifest & Record<string, unknown>;

void test('every palette title is chosen by typing it: no other Krustlet title matches it in the palette', () => {
  const titles = paletteTitles(pkg);
  assert.ok(titles.includes('Krustlet: Bootstrap'), titles.join(' | '));
  assert.deepEqual(paletteCollisions(titles), []);
});

void test('the palette filter rule catches the collision a new user met ("Krustlet: Bootstrap" listed "Apply Bootstrap RBAC Bindings" first)', () => {
  assert.deepEqual(paletteCollisions(['Krustlet: Bootstrap', 'Krustlet: Apply Bootstrap RBAC Bindings']), [
    { typed: 'Krustlet: Bootstrap', alsoMatches: 'Krustlet: Apply Bootstrap RBAC Bindings' },
  ]);
  // letters may start later words ("Git: Pull" for "g p"), a title matches itself, and unrelated titles stay apart
  assert.deepEqual(paletteCollisions(['Krustlet: Show Log', 'Krustlet: Show Agent Join Progress', 'Krustlet: Start Agent', 'Krustlet: Stop Agent']), []);
  assert.deepEqual(paletteCollisions(['Krustlet: Stop', 'Krustlet: Start Other Process']), [{ typed: 'Krustlet: Stop', alsoMatches: 'Krustlet: Start Other Process' }]);
});

void test('every command is in category Krustlet and has a title', () => {
  for (const c of pkg.contributes.commands) {
    assert.equal(c.category, 'Krustlet', c.command);
    assert.ok(c.title.trim(), c.command);
  }
});

void test('the bootstrap config the extension writes opens as YAML (not as a Properties file, which *.conf is by default)', () => {
  const langs = (pkg.contributes as unknown as { languages?: { id: string; filenames?: string[]; filenamePatterns?: string[] }[] }).languages ?? [];
  const yaml = langs.find((l) => l.id === 'yaml');
  const defaultPath = (pkg.contributes as unknown as { configuration: { properties: Record<string, { default?: unknown }> } }).configuration.properties['krustlet.bootstrapConfigPath'].default;
  assert.ok(yaml?.filenames?.includes(String(defaultPath).split('/').pop() ?? ''), JSON.stringify(langs));
  assert.ok(yaml?.filenamePatterns?.includes('**/.krustlet/*.conf'), JSON.stringify(langs));
});

void test('Marketplace: a 128×128 PNG icon, a LICENSE matching `license`, a CHANGELOG for this version, a repository', () => {
  const icon = readFileSync(join(root, String(pkg.icon)));
  assert.equal(icon.subarray(1, 4).toString('latin1'), 'PNG', `${String(pkg.icon)} is not a PNG`);
  // IHDR: width and height, big-endian, at bytes 16..23
  assert.deepEqual([icon.readUInt32BE(16), icon.readUInt32BE(20)], [128, 128]);

  assert.equal(pkg.license, 'Apache-2.0');
  const license = readFileSync(join(root, 'LICENSE'), 'utf8');
  assert.match(license, /Apache License\s+Version 2\.0, January 2004/);
  assert.match(license, /END OF TERMS AND CONDITIONS/);

  const changelog = readFileSync(join(root, 'CHANGELOG.md'), 'utf8');
  assert.ok(changelog.includes(`## [${String(pkg.version)}]`), `CHANGELOG.md has no section for ${String(pkg.version)}`);

  const repo = pkg.repository as { type?: string; url?: string } | undefined;
  assert.equal(repo?.type, 'git');
  assert.match(String(repo?.url), /^https:\/\/github\.com\/[\w.-]+\/[\w.-]+\.git$/);
});

void test('vsce package runs without a warning and packs the icon, LICENSE and CHANGELOG', () => {
  assert.ok(existsSync(join(root, 'dist', 'extension.js')), 'dist/extension.js is missing: run npm run build first');
  const dir = mkdtempSync(join(tmpdir(), 'krustlet-vsix-'));
  try {
    const vsix = join(dir, 'x.vsix');
    // the project's own `npm run package` flags, another output file
    const flags = String((pkg.scripts as Record<string, string>).package).split(/\s+/).slice(2).filter((a, i, all) => a !== '-o' && all[i - 1] !== '-o');
    const r = spawnSync(join(root, 'node_modules', '.bin', 'vsce'), ['package', ...flags, '-o', vsix], { cwd: root, encoding: 'utf8', input: '' });
    const output = `${r.stdout}${r.stderr}`;
    assert.equal(r.status, 0, output);
    assert.doesNotMatch(output, /WARNING|ERROR/, output);
    const files = zipEntries(readFileSync(vsix));
    for (const f of ['package.json', 'LICENSE.txt', 'changelog.md', String(pkg.icon), 'dist/extension.js']) {
      assert.ok(files.some((e) => e.toLowerCase() === `extension/${f}`.toLowerCase()), `${f} is not packed: ${files.join(', ')}`);
    }
    // The README's images: vsce would rewrite relative links to the repository's URL, where they do not exist;
    // kept relative, they resolve inside the installed extension, which packs them.
    assert.ok(flags.includes('--no-rewrite-relative-links'), `npm run package: ${String((pkg.scripts as Record<string, string>).package)}`);
    const images = [...readFileSync(join(root, 'README.md'), 'utf8').matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map((m) => m[1]);
    assert.ok(images.length > 0, 'the README shows screenshots');
    for (const img of images) {
      assert.doesNotMatch(img, /^https?:/, `README image ${img} is relative`);
      assert.ok(files.includes(`extension/${img}`), `README image ${img} is not packed`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The file names in a zip's central directory. */
function zipEntries(zip: Buffer): string[] {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  assert.ok(end >= 0, 'not a zip file');
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    assert.equal(zip.readUInt32LE(at), 0x02014b50, 'bad central directory entry');
    const nameLength = zip.readUInt16LE(at + 28);
    const extra = zip.readUInt16LE(at + 30);
    const comment = zip.readUInt16LE(at + 32);
    names.push(zip.subarray(at + 46, at + 46 + nameLength).toString('utf8'));
    at += 46 + nameLength + extra + comment;
  }
  return names;
}

void test('the walkthrough: "Connect" completes when connected, "Bootstrap" when the file exists (not when the command starts)', () => {
  const walkthroughs = (pkg.contributes as unknown as { walkthroughs: { steps: { id: string; completionEvents: string[] }[] }[] }).walkthroughs;
  const steps = new Map(walkthroughs[0].steps.map((s) => [s.id, s.completionEvents]));
  assert.deepEqual(steps.get('krustlet.connect'), ['onContext:krustlet.state == connected']);
  assert.deepEqual(steps.get('krustlet.bootstrap'), ['onContext:krustlet.bootstrapConfigExists']);
  // the extension sets those context keys
  const src = readFileSync(join(root, 'src', 'vscode', 'constants.ts'), 'utf8');
  assert.match(src, /state: 'krustlet\.state'/);
  assert.match(src, /bootstrapConfigExists: 'krustlet\.bootstrapConfigExists'/);
});

void test('context menus: the cluster row (Refresh, Select Context, Run Preflight, Bootstrap …) and the groups (Refresh; Bootstrap on tokens)', () => {
  const menus = (pkg.contributes as unknown as { menus: Record<string, { command: string; when?: string; group?: string }[]> }).menus['view/item/context'];
  const onItem = (value: string) => menus.filter((m) => !m.group?.startsWith('inline') && new RegExp(`viewItem == ${value.replace(/\./g, '\\.')}(\\b|\\))`).test(m.when ?? '')).map((m) => m.command);
  for (const c of ['krustlet.refresh', 'krustlet.selectContext', 'krustlet.runPreflight', 'krustlet.bootstrap']) assert.ok(onItem('cluster').includes(c), `${c} on the cluster row: ${onItem('cluster').join(', ')}`);
  assert.ok(onItem('group.tokens').includes('krustlet.refresh') && onItem('group.tokens').includes('krustlet.bootstrap'), onItem('group.tokens').join(', '));
  assert.ok(onItem('group.csrs').includes('krustlet.refresh'), onItem('group.csrs').join(', '));
});
