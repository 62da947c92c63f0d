/**
 * The citizens' page /me in headless Chromium (playwright-core, the system's /usr/bin/chromium):
 * after a court's query about the demo husband, he signs in with the demo citizen's token and sees
 * the access in his history, without the clerk's identity. Every request stays on the gateway.
 * The screenshot for review goes to test/e2e/screenshots/me-history.png (gitignored).
 */
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium, LOCAL_HOSTS, SCREENSHOTS } from './chromium';
import { startFederation, type Federation } from '../federation';
import { clientToken, gql } from '../helpers';
import { findRole } from '../../lib/roles';
import { DEMO } from '../../subgraphs/common/population';


describe('citizens page /me in a browser (offline)', () => {
  let fed: Federation;
  let browser: Browser;
  const purpose = 'litigation';
  const clerk = { sub: 'clerk-li-0007', name: '李书记员' };

  beforeAll(async () => {
    [fed, browser] = await Promise.all([startFederation(), launchChromium()]);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await fed?.stop();
  });

  it('the demo citizen signs in and sees the court that looked at his records', async () => {
    const court = findRole('court');
    const token = await clientToken({ ...clerk, scopes: court.scopes, org: court.org, category: court.category });
    const res = await gql(fed.url, 'query($id: ID!) { person(idNumber: $id) { name marriages { date kind } realEstate { certificateNumber } } }', { id: DEMO.husband }, {
      authorization: `Bearer ${token}`,
      'x-access-purpose': encodeURIComponent(purpose),
      'x-case-number': encodeURIComponent('(2026)湘0702民初1234号'),
    });
    expect(res.errors).toBeUndefined();

    const origin = new URL(fed.url).origin;
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 }, locale: 'zh-CN' });
    const external: string[] = [];
    const pageErrors: string[] = [];
    await context.route('**', (route) => {
      const url = new URL(route.request().url());
      if (url.protocol === 'data:' || LOCAL_HOSTS.has(url.hostname)) return route.continue();
      external.push(url.href);
      return route.abort('internetdisconnected');
    });
    const page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`${origin}/me`);
    await page.click('#use-citizen');
    await page.waitForSelector('#whoami');
    expect(await page.textContent('#whoami')).toBe(DEMO.husband);
    const row = page.locator('#history tbody tr', { hasText: purpose });
    await row.waitFor();
    const text = await row.innerText();
    expect(text).toContain(court.org);
    expect(text).toContain('婚姻登记 Marriage');
    expect(text).toContain('Person.marriages');
    const table = await page.textContent('#history');
    expect(table).not.toContain(clerk.sub);
    expect(table).not.toContain(clerk.name);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'me-history.png'), fullPage: true });
    expect(external).toEqual([]);
    expect(pageErrors).toEqual([]);
    await context.close();
  }, 60_000);
});
