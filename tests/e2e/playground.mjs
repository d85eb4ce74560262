// Drives the Microsoft 365 Agents Playground in headless Chromium: asks each query in the personal chat,
// waits for the bot's Adaptive Card, checks the expected people are in it and saves a screenshot.
//
//   node playground.mjs --url http://localhost:56150 --cases cases.json --out ../../test-results/e2e
//
// cases.json: [{"query": "who knows kubernetes", "expect": ["Aino Virtanen", "..."]}, ...]
// Prints one JSON line per query on stdout; exits 1 if any query failed, 2 on a usage error.

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
  if (!Array.isArray(cases) || cases.some((c) => typeof c.query !== 'string' || !Array.isArray(c.expect))) {
    console.error(`${casesPath}: expected [{"query": string, "expect": [name, ...]}, ...]`);
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

async function ask(page, { query, expect }, index, out) {
  const started = Date.now();
  const known = await page.locator(TOP_LEVEL_CARDS).count();
  await page.locator(MESSAGE_BOX).click();
  await page.keyboard.type(query);
  await page.locator(SEND_BUTTON).click();

  const { card, problem: missing } = await waitForAnswerCard(page, known, expect);
  let problem = missing;
  const openUrlButtons = card ? await card.locator(OPEN_URL_BUTTONS).count() : 0;
  if (card && openUrlButtons < expect.length) {
    problem = `the card names everyone but has ${openUrlButtons} Action.OpenUrl buttons for ${expect.length} people`;
  }
  const name = `${String(index + 1).padStart(2, '0')}-${slug(query)}${problem ? '-FAILED' : ''}.png`;
  const screenshot = join(out, name);
  await (card ? screenshotCard(page, card, screenshot) : page.screenshot({ path: screenshot }));
  const seconds = (Date.now() - started) / 1000;
  const result = { query, ok: !problem, expect, open_url_buttons: openUrlButtons, screenshot, seconds };
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
