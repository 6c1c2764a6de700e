// The command palette as a new user types into it: every Krustlet title, typed in full, must be the row Enter
// runs (the palette keeps matching commands in label order, so another title containing the same words may
// come first). "Krustlet: Bootstrap" + Enter is also run, and must open Bootstrap's first question.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../support/codeServer';
import { paletteTitles, type Manifest } from '../support/manifest';
import { typeCommandAndEnter, typeInPalette } from '../support/workbench';
import type { UiContext } from './run';

export async function run(ctx: UiContext): Promise<void> {
  const { page } = ctx;
  const titles = paletteTitles(JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as Manifest);

  await ctx.step(`each of the ${titles.length} Krustlet titles, typed, is the row Enter runs`, async () => {
    const wrong: string[] = [];
    for (const title of titles) {
      const focused = await typeInPalette(page, title);
      if (focused !== title) wrong.push(`typing "${title}" focuses "${focused}"`);
      await page.keyboard.press('Escape');
    }
    assert.deepEqual(wrong, []);
  });

  await ctx.step('"Krustlet: Bootstrap" + Enter runs Bootstrap (its first question opens)', async () => {
    assert.equal(await typeCommandAndEnter(page, 'Krustlet: Bootstrap'), 'Krustlet: Bootstrap');
    // Bootstrap's first question: the context (several in the kubeconfig) or the token lifetime.
    await page.locator('.quick-input-widget .quick-input-title', { hasText: /Krustlet: Bootstrap/ }).waitFor();
    await ctx.screenshot('palette-bootstrap-first-question');
    await page.keyboard.press('Escape');
  });
}
