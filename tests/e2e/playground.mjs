// Drives the Microsoft 365 Agents Playground in headless Chromium: for each case, types a message in the
// personal chat (or runs a command that makes the bot write first, for proactive messages), waits for the
// bot's Adaptive Card, checks it reads as expected and saves a screenshot.
//
//   node playground.mjs --url http://localhost:56150 --cases cases.json --out ../../test-results/e2e
//
// cases.json: [{"query": "who knows kubernetes", "expect": ["Aino Virtanen", "..."]},
//              {"query": "nudge", "trigger": ["python", "app.py", "nudges"], "cwd": "/repo", "expect": [...]}]
// "expect" lists texts the card must contain; a case with "min_open_url" (default: one per expected text)
// also needs that many Action.OpenUrl buttons. Each result counts the card's chart elements.
// Prints one JSON line per case on stdout; exits 1 if any case failed, 2 on a usage error.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
const PAGE_READY_MS = 60_000;
const REPLY_MS = 60_000;
const POLL_MS = 250;
const VIEWPORT = { width: 1400, height: 1100 };

// The Playground's own UI (Fluent UI, no test ids): the Lexical message editor and its send button.
const MESSAGE_BOX = '[data-lexical-editor="true"][role="textbox"]';
const SEND_BUTTON = 'button[aria-label="Send Message"]';
// Microsoft's Adaptive Cards renderer: `.ac-adaptiveCard` roots (a ShowCard nests another, so keep only
// top-level ones); Action.OpenUrl renders as a button with role="link" inside `.ac-actionSet`.
const TOP_LEVEL_CARDS = 'xpath=//*[contains(concat(" ", normalize-space(@class), " "), " ac-adaptiveCard ")'
  + ' and not(ancestor::*[contains(concat(" ", normalize-space(@class), " "), " ac-adaptiveCard ")])]';
const OPEN_URL_BUTTONS = '.ac-actionSet button[role="link"]';
// Teams' chart elements (Chart.VerticalBar and friends) as the Playground draws them.
const CHARTS = 'canvas, svg, [class*="chart" i]';
const TRIGGER_MS = 180_000;

function readOptions() {
  const { values } = parseArgs({
    options: { url: { type: 'string' }, cases: { type: 'string' }, out: { type: 'string' } },
  });
  const url = values.url ?? process.env.PLAYGROUND_URL;
  const casesPath = values.cases ?? process.env.PLAYGROUND_CASES;
  const out = values.out ?? process.env.PLAYGROUND_SCREENSHOTS ?? 'screenshots';
  if (!url || !casesPath) {
    console.error('usage: node playground.mjs --url PLAYGROUND_URL --cases CASES.json [--out DIR]');
    process.exit(2);
  }
  const cases = JSON.parse(readFileSync(casesPath, 'utf8'));
  const valid = (c) => typeof c.query === 'string' && Array.isArray(c.expect)
    && (c.trigger === undefined || (Array.isArray(c.trigger) && c.trigger.length > 0));
  if (!Array.isArray(cases) || !cases.every(valid)) {
    console.error(`${casesPath}: expected [{"query": string, "expect": [text, ...], "trigger"?: [argv]}, ...]`);
    process.exit(2);
  }
  return { url, cases, out };
}

const normalise = (text) => text.replace(/\s+/g, ' ').trim();
const slug = (text) => text.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits for a card newer than the first `known` cards that names everyone in `expect`. */
async function waitForAnswerCard(page, known, expect) {
  const cards = page.locator(TOP_LEVEL_CARDS);
  const deadline = Date.now() + REPLY_MS;
  let newTexts = [];
  while (Date.now() < deadline) {
    const count = await cards.count();
    newTexts = [];
    for (let i = known; i < count; i++) {
      const text = normalise(await cards.nth(i).innerText());
      newTexts.push(text);
      if (expect.every((name) => text.includes(name))) return { card: cards.nth(i) };
    }
    await sleep(POLL_MS);
  }
  // Name what is missing from the newest card, or say no card came at all.
  const last = newTexts.at(-1);
  const problem = last === undefined
    ? `no Adaptive Card arrived within ${REPLY_MS / 1000} s`
    : `the newest card lacks ${JSON.stringify(expect.filter((name) => !last.includes(name)))}; `
      + `it reads: ${JSON.stringify(last.slice(0, 400))}`;
  return { problem };
}

/** Screenshots the page with the whole card in view: the chat pane scrolls, so grow the window to fit. */
async function screenshotCard(page, card, path) {
  const { height } = await card.boundingBox();
  const fitting = Math.max(VIEWPORT.height, Math.ceil(height) + 400); // + title bar, query bubble, message box
  await page.setViewportSize({ width: VIEWPORT.width, height: fitting });
  await card.scrollIntoViewIfNeeded();
  await page.screenshot({ path });
  await page.setViewportSize(VIEWPORT);
}

/** Runs the command that makes the bot send a proactive message; returns a problem, or undefined. */
function runTrigger(trigger, cwd) {
  const run = spawnSync(trigger[0], trigger.slice(1), {
    cwd, env: process.env, encoding: 'utf8', timeout: TRIGGER_MS,
  });
  if (run.status === 0) return undefined;
  return `${JSON.stringify(trigger)} exited ${run.status ?? run.signal}: ${(run.stderr || run.stdout || '').slice(-600)}`;
}

async function ask(page, { query, expect, trigger, cwd, min_open_url: minOpenUrl }, index, out) {
  const started = Date.now();
  const known = await page.locator(TOP_LEVEL_CARDS).count();
  let problem;
  let card;
  if (trigger) {
    problem = runTrigger(trigger, cwd);
  } else {
    await page.locator(MESSAGE_BOX).click();
    await page.keyboard.type(query);
    await page.locator(SEND_BUTTON).click();
  }
  if (!problem) ({ card, problem } = await waitForAnswerCard(page, known, expect));
  const openUrlButtons = card ? await card.locator(OPEN_URL_BUTTONS).count() : 0;
  const wantedOpenUrl = minOpenUrl ?? expect.length;
  if (card && openUrlButtons < wantedOpenUrl) {
    problem = `the card reads as expected but has ${openUrlButtons} Action.OpenUrl buttons, not ${wantedOpenUrl}`;
  }
  const charts = card ? await card.locator(CHARTS).count() : 0;
  const name = `${String(index + 1).padStart(2, '0')}-${slug(query)}${problem ? '-FAILED' : ''}.png`;
  const screenshot = join(out, name);
  await (card ? screenshotCard(page, card, screenshot) : page.screenshot({ path: screenshot }));
  const seconds = (Date.now() - started) / 1000;
  const result = { query, ok: !problem, expect, open_url_buttons: openUrlButtons, charts, screenshot, seconds };
  return problem ? { ...result, problem } : result;
}

async function main() {
  const { url, cases, out } = readOptions();
  mkdirSync(out, { recursive: true });
  const profile = mkdtempSync(join(tmpdir(), 'seula-e2e-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: VIEWPORT,
  });
  let failed = 0;
  try {
    const page = context.pages()[0] ?? await context.newPage();
    await page.goto(url, { timeout: PAGE_READY_MS });
    await page.locator(MESSAGE_BOX).waitFor({ timeout: PAGE_READY_MS });
    for (const [index, testCase] of cases.entries()) {
      const result = await ask(page, testCase, index, out);
      console.log(JSON.stringify(result));
      if (!result.ok) {
        failed += 1;
        console.error(`FAILED ${JSON.stringify(testCase.query)}: ${result.problem} (screenshot ${result.screenshot})`);
      }
    }
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
  process.exitCode = failed ? 1 : 0;
}

main().catch((error) => {
  console.error(`playground.mjs: ${error.stack ?? error}`);
  process.exitCode = 1;
});
