// What the browser tests (staff.mjs, editors.mjs, widget.mjs) share:
// Chromium's flags, the step runner and its failure, bounded waits, and
// the overall time limit. Every wait here is bounded.

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

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

export async function expectVisible(locator, what) {
  try {
    await locator.waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
  } catch {
    throw new StepFailure(`${what} did not become visible`);
  }
}

export async function expectHidden(locator, what) {
  try {
    await locator.waitFor({ state: 'hidden', timeout: STEP_TIMEOUT_MS });
  } catch {
    throw new StepFailure(`${what} did not go away`);
  }
}

// Waits until `test(arg)` holds in the page; fails saying `what`.
export async function expectInPage(page, test, arg, what) {
  try {
    await page.waitForFunction(test, arg, { timeout: STEP_TIMEOUT_MS });
  } catch {
    throw new StepFailure(what);
  }
}

// axe-core, run in the page (evaluate is not subject to the page's CSP),
// on WCAG 2.1 A and AA, violations of any impact; fails naming each
// violation's rule and targets. `what` says which state was checked.
const axeSource = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
export async function axe(page, what) {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const results = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return results.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`);
  });
  check(violations.length === 0, `axe found violations ${what}:\n  ${violations.join('\n  ')}`);
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

// Launches Chromium headless on a fresh profile and opens a page whose
// script errors and policy violations are collected in `problems`.
// `close()` ends the browser and removes the profile.
export async function launch(executablePath, { args = CHROMIUM_ARGS, ...options } = {}) {
  const profile = await mkdtemp(path.join(tmpdir(), 'loket-chromium-'));
  const problems = [];
  let context;
  const close = async () => {
    await context?.close().catch(() => {});
    await rm(profile, { recursive: true, force: true }).catch(() => {});
  };
  try {
    await step('launch chromium', async () => {
      context = await chromium.launchPersistentContext(profile, {
        executablePath,
        headless: true,
        args,
        viewport: { width: 1280, height: 860 },
        locale: 'nl-NL',
        timezoneId: 'Europe/Amsterdam',
        ...options,
      });
    });
  } catch (error) {
    await close();
    throw error;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  page.on('pageerror', (error) => problems.push(`script error: ${error.message}`));
  page.on('console', (message) => {
    const text = message.text();
    if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(text)) {
      problems.push(`policy violation: ${text}`);
    }
  });
  return { context, page, problems, close };
}
