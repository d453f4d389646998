/*
 * The server as a browser app uses it: a `useChat` page (browser/page.tsx, bundled here with
 * esbuild) served from another origin, on the stock transport and on @chatd/client's, and the
 * API reference at /docs, all in headless Chromium. Screenshots of what the pages showed go
 * to test-results/, for a person to look at.
 *
 * Two servers: one on the demo model (its tool, its reading of attachments), and one on a
 * local OpenAI-compatible provider whose replies a test holds after their first piece, so
 * "while it streams" (a reload, Stop, a partial reply) lasts as long as the test needs on
 * however busy a machine.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HELD_REPLY,
  type HeldReplyServer,
  startHeldReplyServer,
} from './test-support/held-reply-server.js';
import { ADMIN_TOKEN, call, startTestServer, type TestServer } from './test-support/test-server.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
/** CI always runs these tests (its script installs Chromium); elsewhere they need Chromium. */
const runBrowserTests = hasChromium || process.env.CI === 'true';
const SCREENSHOTS = fileURLToPath(new URL('../test-results/', import.meta.url));
/** The demo model's pace: a reply streams for a second or two, as a person would see it. */
const DEMO_DELAY_MS = '40';

/** Serves the bundled page: `/` is its HTML, `/page.js` its script. */
async function servePage(): Promise<{ origin: string; server: Server }> {
  const bundle = await build({
    entryPoints: [fileURLToPath(new URL('../browser/page.tsx', import.meta.url))],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
  });
  const script = bundle.outputFiles[0]?.text ?? '';
  const html =
    '<!doctype html><html><head><meta charset="utf-8"><title>useChat against chatd</title></head>' +
    '<body><div id="root"></div><script type="module" src="/page.js"></script></body></html>';
  const server = createHttpServer((request, response) => {
    const isScript = request.url === '/page.js';
    response.setHeader('content-type', isScript ? 'text/javascript' : 'text/html');
    response.end(isScript ? script : html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** The page's two transports: the AI SDK's own on /api/chat, and @chatd/client's on /v1. */
const TRANSPORTS = ['stock', 'chatd'] as const;
type Transport = (typeof TRANSPORTS)[number];

const statusIs = (page: Page, status: string) =>
  page
    .locator('#status')
    .filter({ hasText: new RegExp(`^${status}$`) })
    .waitFor();

/**
 * Waits until the statuses the page went through, space-separated (`ready submitted streaming
 * ready` for one reply), match `pattern`: a status that lasted a moment is seen too.
 */
const historyMatches = (page: Page, pattern: RegExp) =>
  // A string, run in the page (this file's types have no DOM); a RegExp prints as its literal.
  page.waitForFunction(`${pattern}.test(document.getElementById('status')?.dataset.history ?? '')`);

/** Waits until the page shows some of the assistant's reply. */
const replyStarted = (page: Page) =>
  page.locator('li[data-role=assistant] .text').filter({ hasText: /\S/ }).first().waitFor();

const assistantText = async (page: Page) =>
  (await page.locator('li[data-role=assistant] .text').allTextContents()).join(' ');

describe.skipIf(!runBrowserTests)('useChat pages and /docs in Chromium (needs it)', () => {
  /** The server on the demo model. */
  let chatd: TestServer;
  /** The server whose replies the tests hold mid-stream. */
  let held: HeldReplyServer;
  let page: { origin: string; server: Server };
  let browser: Browser;
  let context: BrowserContext;
  /** Errors each page logged or threw: a working page has none. */
  const pageErrors = new WeakMap<Page, string[]>();
  const errorsOf = (tab: Page) => pageErrors.get(tab) ?? [];

  function recordErrors(tab: Page): void {
    const errors: string[] = [];
    pageErrors.set(tab, errors);
    tab.on('pageerror', (error) => errors.push(error.message));
    tab.on('console', (message) => {
      // The chatd transport asks whether a useChat id is a chat id; its 404 is the answer "no".
      if (message.type() === 'error' && !message.text().includes('status of 404')) {
        errors.push(message.text());
      }
    });
  }

  beforeAll(async () => {
    if (!hasChromium) {
      throw new Error(`No Chromium at ${CHROMIUM}: set CHROMIUM_PATH (.ci/run installs Debian's)`);
    }
    page = await servePage();
    chatd = await startTestServer({
      CHATD_CORS_ORIGINS: page.origin,
      CHATD_DEMO_DELAY_MS: DEMO_DELAY_MS,
    });
    held = await startHeldReplyServer({ CHATD_CORS_ORIGINS: page.origin });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    context = await browser.newContext({ viewport: { width: 900, height: 800 } });
    await mkdir(SCREENSHOTS, { recursive: true });
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await chatd?.close();
    await held?.close();
    await new Promise((resolve) => page?.server.close(resolve));
  });

  async function openChat(
    chat: string,
    transport: Transport = 'stock',
    server: TestServer = chatd,
  ): Promise<Page> {
    const tab = await context.newPage();
    recordErrors(tab);
    const query = new URLSearchParams({ server: server.url, token: ADMIN_TOKEN, chat, transport });
    await tab.goto(`${page.origin}/?${query}`);
    await statusIs(tab, 'ready');
    return tab;
  }

  async function send(tab: Page, text: string): Promise<void> {
    await tab.fill('#prompt', text);
    await tab.press('#prompt', 'Enter');
  }

  /** The chat whose user message is `text`: its status and replies, read through the API. */
  async function chatWith(text: string, server: TestServer = chatd) {
    const chats = await call(server.url, ADMIN_TOKEN, 'GET', '/v1/chats');
    for (const { id, status } of (chats.body as { chats: { id: string; status: string }[] })
      .chats) {
      const listed = await call(server.url, ADMIN_TOKEN, 'GET', `/v1/chats/${id}/messages`);
      const { messages } = listed.body as {
        messages: { role: string; content: { parts: { text?: string }[] } }[];
      };
      if (messages.some((message) => message.content.parts[0]?.text === text)) {
        const replies = messages
          .filter((message) => message.role === 'assistant')
          .map((message) => message.content.parts[0]?.text ?? '');
        return { status, replies };
      }
    }
    return undefined;
  }

  it.each(TRANSPORTS)(
    'streams a reply into the page as it is generated (%s)',
    async (transport) => {
      const release = held.holdReply();
      const tab = await openChat('greeting', transport, held);
      await send(tab, 'Hello from a browser');
      await replyStarted(tab);
      expect(await tab.textContent('#status')).toBe('streaming');
      expect(await assistantText(tab)).toBe(HELD_REPLY[0]);
      await tab.screenshot({
        path: `${SCREENSHOTS}use-chat-streaming-${transport}.png`,
        fullPage: true,
      });
      release();
      await historyMatches(tab, /streaming ready$/);
      expect(await assistantText(tab)).toBe(HELD_REPLY.join(''));
      await tab.screenshot({ path: `${SCREENSHOTS}use-chat-${transport}.png`, fullPage: true });
      expect(errorsOf(tab)).toEqual([]);
      await tab.close();
    },
  );

  it('streams a reply of the demo model, labelled as such', async () => {
    const tab = await openChat('demo');
    await send(tab, 'Hello from a browser');
    await historyMatches(tab, /streaming ready$/);
    expect(await assistantText(tab)).toContain(
      '[chatd demo model: offline, canned replies] You wrote: "Hello from a browser".',
    );
    await tab.screenshot({ path: `${SCREENSHOTS}use-chat-demo.png`, fullPage: true });
    expect(errorsOf(tab)).toEqual([]);
    await tab.close();
  });

  it.each(TRANSPORTS)(
    'sends a file picked in the page, and the model gets it (%s)',
    async (transport) => {
      const tab = await openChat('attachment', transport);
      await tab.setInputFiles('#files', {
        name: 'notes.txt',
        mimeType: 'text/plain',
        buffer: Buffer.from('Buy milk'),
      });
      await send(tab, 'Read my notes');
      await replyStarted(tab);
      await statusIs(tab, 'ready');
      expect(await tab.textContent('li[data-role=user] .file')).toContain('notes.txt');
      // The demo model names the files it was given.
      expect(await assistantText(tab)).toContain('You attached notes.txt (text/plain).');
      await tab.screenshot({
        path: `${SCREENSHOTS}use-chat-file-${transport}.png`,
        fullPage: true,
      });
      expect(errorsOf(tab)).toEqual([]);
      await tab.close();
    },
  );

  it.each(TRANSPORTS)('regenerates the last reply in its place (%s)', async (transport) => {
    const tab = await openChat('regenerated', transport);
    const question = `What is new over ${transport}?`;
    await send(tab, question);
    await historyMatches(tab, /streaming ready$/);
    await tab.click('#regenerate');
    await historyMatches(tab, /streaming ready .*streaming ready$/);
    expect(await tab.locator('li[data-role=assistant]').count()).toBe(1);
    expect(await assistantText(tab)).toContain(`You wrote: "${question}".`);
    expect((await chatWith(question))?.replies).toHaveLength(1);
    expect(errorsOf(tab)).toEqual([]);
    await tab.close();
  });

  it.each(TRANSPORTS)(
    'Stop ends the reply and the turn, keeping what was said (%s)',
    async (transport) => {
      const release = held.holdReply();
      try {
        const tab = await openChat('stopped', transport, held);
        const request = `Stop me over ${transport}`;
        await send(tab, request);
        await replyStarted(tab);
        await tab.click('#stop');
        await statusIs(tab, 'ready');
        expect(await assistantText(tab)).toBe(HELD_REPLY[0]);
        // The turn stopped on the server too (stop() alone would let it finish the answer):
        // the chat is waiting, its reply kept as far as it went.
        await expect
          .poll(async () => (await chatWith(request, held))?.status, {
            interval: 50,
            timeout: 10_000,
          })
          .toBe('waiting');
        expect((await chatWith(request, held))?.replies).toEqual([HELD_REPLY[0]]);
        expect(errorsOf(tab)).toEqual([]);
        await tab.close();
      } finally {
        release();
      }
    },
  );

  it('shows a server tool call and its result, then the reply that uses it', async () => {
    const tab = await openChat('dice');
    await send(tab, 'Please roll a dice');
    await tab.waitForSelector('.tool[data-state=output-available]');
    await statusIs(tab, 'ready');
    expect(await tab.textContent('.tool')).toMatch(
      /^tool-roll_dice: \{"sides":6\} → \{"sides":6,"value":[1-6]\}$/,
    );
    expect(await assistantText(tab)).toContain('The roll_dice tool answered');
    await tab.screenshot({ path: `${SCREENSHOTS}use-chat-tool.png`, fullPage: true });
    expect(errorsOf(tab)).toEqual([]);
    await tab.close();
  });

  it.each(TRANSPORTS)('resumes a reply after a reload, generated once (%s)', async (transport) => {
    const release = held.holdReply();
    const tab = await openChat('reloaded', transport, held);
    const story = `Tell me a story over ${transport}`;
    await send(tab, story);
    await replyStarted(tab);
    await tab.reload();
    // `resume: true` asks for the stream of the running turn, which replays the reply from its
    // start: the new page streams what was said so far, then the rest as it comes.
    await replyStarted(tab);
    expect(await tab.textContent('#status')).toBe('streaming');
    expect(await assistantText(tab)).toBe(HELD_REPLY[0]);
    release();
    await historyMatches(tab, /streaming ready$/);
    expect(await assistantText(tab)).toBe(HELD_REPLY.join(''));
    expect((await chatWith(story, held))?.replies).toEqual([HELD_REPLY.join('')]);
    expect(
      held.provider.requests.filter((request) => JSON.stringify(request.body).includes(story)),
    ).toHaveLength(1);
    expect(errorsOf(tab)).toEqual([]);
    await tab.close();
  });

  it('serves an API reference at /docs that works offline: authorise, then try a request', async () => {
    const tab = await context.newPage();
    const external: string[] = [];
    await tab.route('**/*', (route) => {
      const { hostname } = new URL(route.request().url());
      if (hostname === '127.0.0.1') return route.continue();
      external.push(route.request().url());
      return route.abort();
    });
    recordErrors(tab);
    await tab.goto(`${chatd.url}/docs`);
    const createChat = tab.locator('.opblock-post', { hasText: '/v1/chats' }).first();
    await createChat.waitFor();
    await createChat.locator('.opblock-summary').click();
    await tab.waitForSelector('.opblock-post.is-open .model-example');
    await tab.screenshot({ path: `${SCREENSHOTS}docs.png` });
    expect(await tab.locator('.opblock-summary-path').count()).toBeGreaterThan(20);
    expect(await tab.title()).toBe('chatd API reference');

    // As the README says: press Authorize, paste a token, and try a request.
    await tab.locator('.auth-wrapper .authorize').click();
    await tab
      .locator('.modal-ux input[type=text], .modal-ux input[type=password]')
      .fill(ADMIN_TOKEN);
    await tab.locator('.modal-ux .auth-btn-wrapper .authorize').click();
    await tab.locator('.modal-ux .btn-done').click();
    const listModels = tab.locator('.opblock-get', { hasText: '/v1/models' }).first();
    await listModels.locator('.opblock-summary').click();
    await listModels.locator('.try-out__btn').click();
    await listModels.locator('.execute').click();
    const answer = listModels.locator('.live-responses-table .response .response-col_status');
    await answer.first().waitFor();
    expect((await answer.first().textContent())?.trim()).toBe('200');
    expect(
      await listModels.locator('.live-responses-table .microlight').first().textContent(),
    ).toContain('"id": "demo"');
    await listModels.scrollIntoViewIfNeeded();
    await tab.screenshot({ path: `${SCREENSHOTS}docs-try-it.png` });

    // The request body Swagger UI fills in is the route's example, which the server takes.
    await createChat.locator('.try-out__btn').click();
    await createChat.locator('.execute').click();
    const created = createChat.locator('.live-responses-table .response .response-col_status');
    await created.first().waitFor();
    await tab.screenshot({ path: `${SCREENSHOTS}docs-create-chat.png` });
    expect((await created.first().textContent())?.trim()).toBe('201');
    expect(external).toEqual([]);
    expect(errorsOf(tab)).toEqual([]);
    await tab.close();
  });
});
