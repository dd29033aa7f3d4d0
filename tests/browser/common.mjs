// What the browser tests (staff.mjs, editors.mjs, widget.mjs) share:
// Chromium's flags, the step runner and its failure, bounded waits, and
// the overall time limit. Every wait here is bounded.

export const STEP_TIMEOUT_MS = 20_000;

// Without the background-networking flags Chromium stalls on a closed network.
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export class StepFailure extends Error {}

export function check(condition, message) {
  if (!condition) throw new StepFailure(message);
}

// A required environment variable (or its fallback); exits 2 without one.
export function env(name, fallback) {
  const value = process.env[name] ?? fallback;
  if (value === undefined || value === '') {
    console.error(`${process.argv[1]}: environment variable ${name} is not set`);
    process.exit(2);
  }
  return value;
}

let currentStep = '(starting)';
export async function step(name, action) {
  currentStep = name;
  const started = Date.now();
  await action();
  console.log(`ok   ${name} (${Date.now() - started} ms)`);
}

// Waits until the element's text contains `expected`; fails with what it had.
export async function expectText(locator, expected, what) {
  try {
    await locator.filter({ hasText: expected }).first().waitFor({ timeout: STEP_TIMEOUT_MS });
  } catch {
    const actual = (await locator.allTextContents().catch(() => [])).join(' | ');
    throw new StepFailure(`${what}: expected text "${expected}", found "${actual}"`);
  }
}

// Runs `run` within `totalMs`; exits 1 naming the failed step, or says
// `passed` and returns.
export async function finish(run, totalMs, passed) {
  const timer = setTimeout(() => {
    console.error(`FAIL ${currentStep}: the browser test took longer than ${totalMs / 1000} s`);
    process.exit(1);
  }, totalMs);
  try {
    await run();
    clearTimeout(timer);
    console.log(passed);
  } catch (error) {
    clearTimeout(timer);
    console.error(`FAIL ${currentStep}: ${error instanceof StepFailure ? error.message : error.stack || error}`);
    process.exit(1);
  }
}
