// The live status page (/status on --metrics-bind) in a real browser:
// Debian's chromium, headless, driven by playwright-core. The page must show
// a running slow request with its thread, fetch its Python stack on demand,
// update itself without a reload, and fit a phone's width.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { Client, get, startServer, type RunningServer } from '../support/server';
import { metricsPort } from '../support/metrics';

const CHROMIUM = '/usr/bin/chromium';

// Skipped only outside CI: CI (.ci/install) installs chromium, and there a
// missing browser is a failure, not a reason to test nothing.
const missing = fs.existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (apt-get install chromium)`;
if (missing !== false && process.env['CI'] !== undefined) throw new Error(missing);

describe('the status page in headless chromium', { skip: missing }, () => {
  let server: RunningServer;
  let admin: number;
  let browser: BrowserContext;
  let profile: string;

  before(async () => {
    server = await startServer('timeouts_app:app', { args: ['-t', '3', '--metrics-bind', '127.0.0.1:0', '--slow-request', '0.3'] });
    admin = metricsPort(server.output());
    profile = fs.mkdtempSync(path.join(os.tmpdir(), 'yimmo-chromium-'));
    // A fresh profile directory (--user-data-dir), which playwright takes as the persistent context's.
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync',
      ],
      timeout: 60_000,
    });
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    if (profile !== undefined) fs.rmSync(profile, { recursive: true, force: true });
  });

  async function openPage(viewport: { width: number; height: number }): Promise<Page> {
    const page = await browser.newPage();
    await page.setViewportSize(viewport);
    await page.goto(`http://127.0.0.1:${admin}/status`);
    return page;
  }

  test('shows a running slow request with its thread and fetches its Python stack on demand', async () => {
    const client = await Client.connect(server.port);
    client.write(get('/slow?20'));
    const page = await openPage({ width: 1280, height: 800 });
    try {
      const row = page.locator('#inflight tbody tr', { hasText: '/slow?20' });
      await row.waitFor({ timeout: 15_000 });
      assert.match(await row.innerText(), /GET/);
      assert.match(await row.innerText(), /yimmo-app-\d/);
      // Older than --slow-request: marked slow and offers its stack.
      const button = row.getByRole('button', { name: 'stack' });
      await button.waitFor({ timeout: 15_000 });
      await button.click();
      const stack = page.locator('#stacks pre.stack');
      await stack.waitFor({ timeout: 15_000 });
      const text = await stack.innerText();
      assert.match(text, /timeouts_app\.py", line \d+, in slow/);
      assert.match(text, /time\.sleep\(seconds\)/);
      // The processes table lists the supervisor, the worker and its host, each with its RSS.
      const procs = await page.locator('#procs tbody').innerText();
      for (const kind of ['supervisor', 'worker', 'host']) assert.match(procs, new RegExp(`${kind}\\s+\\d+\\s+[\\d.]+ s\\s+[\\d.]+ MiB`));
    } finally {
      await page.close();
      client.close();
    }
  });

  test('updates itself without a reload: a finished slow request moves to the recent list', async () => {
    const page = await openPage({ width: 1280, height: 800 });
    let loads = 0;
    page.on('load', () => loads++);
    const client = await Client.connect(server.port);
    try {
      client.write(get('/slow?3'));
      await page.locator('#inflight tbody tr', { hasText: '/slow?3' }).waitFor({ timeout: 15_000 });
      assert.equal((await client.response({ timeoutMs: 15_000 })).status, 200);
      await page.locator('#slow tbody tr', { hasText: '/slow?3' }).waitFor({ timeout: 15_000 });
      await page.locator('#inflight tbody tr', { hasText: '/slow?3' }).waitFor({ state: 'detached', timeout: 15_000 });
      assert.equal(loads, 0);
    } finally {
      await page.close();
      client.close();
    }
  });

  test('fits a phone: nothing wider than the screen but the tables, which scroll inside their box', async () => {
    const client = await Client.connect(server.port);
    // A body that never completes keeps /echo in flight; its long target must not widen the page.
    client.write(`POST /echo?${'long-query-'.repeat(30)} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\npart`);
    const page = await openPage({ width: 360, height: 740 });
    try {
      await page.locator('#inflight tbody tr', { hasText: 'long-query-' }).waitFor({ timeout: 15_000 });
      // Strings, not functions: the tests compile without the DOM's types.
      const widths = await page.evaluate<{ page: number; screen: number }>('({ page: document.documentElement.scrollWidth, screen: window.innerWidth })');
      assert.ok(widths.page <= widths.screen, `page ${widths.page}px wide on a ${widths.screen}px screen`);
      const fontPx = await page.evaluate<number>('parseFloat(getComputedStyle(document.body).fontSize)');
      assert.ok(fontPx >= 12, `body font ${fontPx}px`);
    } finally {
      await page.close();
      client.close();
    }
  });
});
