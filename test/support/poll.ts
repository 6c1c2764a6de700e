/**
 * The one `until()` of the test tiers: waits for a probe to turn truthy (never a timed assertion).
 * In the extension host the wait is bounded by the test's own mocha timeout: `testEnded()` (call it in
 * `teardown`) stops the polls of the test that just ended, so a failed wait does not linger into the
 * next test, and returns what that test was last waiting for, for the failure report. Elsewhere
 * (node:test) `limitMs` bounds a hang.
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let waitingFor = '';
let testNumber = 0;

export async function until<T>(what: string, probe: () => T | undefined | null | false | Promise<T | undefined | null | false>, limitMs = 120_000): Promise<T> {
  waitingFor = what;
  const test = testNumber;
  const end = Date.now() + limitMs;
  while (test === testNumber) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`gave up waiting for ${what} after ${limitMs} ms`);
    await sleep(50);
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** Ends the current test's polls; returns what it was last waiting for. */
export function testEnded(): string {
  testNumber++;
  return waitingFor;
}
