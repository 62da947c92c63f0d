/**
 * End to end in headless Chromium (playwright-core, the system's /usr/bin/chromium): the explorer
 * runs the dossier query as a court and as the healthcare-security bureau and shows each its own
 * view; the auditor then finds both queries on the audit page, opens one, sees the chain intact
 * and exports the range. Every request is checked to stay on the gateway (the pages work offline).
 * Screenshots for review go to test/e2e/screenshots/ (gitignored).
 */
import { findRole } from '../../lib/roles';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, LOCAL_HOSTS, SCREENSHOTS } from './chromium';
import { startFederation, type Federation } from '../federation';
import { gql, roleHeaders, type GraphQLResponse } from '../helpers';
import { DEMO } from '../../subgraphs/common/population';
import { exampleOperations } from '../../gateway/src/web/explorer/examples';

describe('explorer and audit page in a browser (offline)', () => {
  let fed: Federation;
  let origin: string;
  let browser: Browser;
  let context: BrowserContext;
  /** Every URL the pages requested; anything not on this machine is aborted and listed in `external`. */
  const requested: string[] = [];
  const external: string[] = [];
  const pageErrors: string[] = [];
  // Unique per run, so the audit search finds this run's queries only; Chinese, to exercise percent-encoding.
  const started = Date.now();
  /** `YYYY-MM-DDTHH:mm:ss` in local time, as a `datetime-local` input takes it (browser and test share the time zone). */
  const localDateTime = (d: Date) => new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 19);

  beforeAll(async () => {
    [fed, browser] = await Promise.all([
      // The rules' evaluator every half second, so the overview shows this run's queries promptly.
      startFederation({ env: { AUDIT_RULES_INTERVAL_SECONDS: '0.5' } }),
      launchChromium(),
    ]);
    origin = new URL(fed.url).origin;
    context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN', acceptDownloads: true });
    await context.route('**', (route) => {
      const url = new URL(route.request().url());
      if (url.protocol === 'data:' || url.protocol === 'blob:' || LOCAL_HOSTS.has(url.hostname)) return route.continue();
      external.push(url.href);
      return route.abort('internetdisconnected');
    });
    context.on('request', (req) => requested.push(req.url()));
    context.on('page', (page) => page.on('pageerror', (err) => pageErrors.push(err.message)));
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await fed?.stop();
  });

  /** The text of GraphiQL's response editor, once it holds a response. */
  async function response(page: Page): Promise<GraphQLResponse> {
    const handle = await page.waitForFunction(() => {
      const editor = document.querySelector('.result-window .CodeMirror') as (Element & { CodeMirror?: { getValue(): string } }) | null;
      const text = editor?.CodeMirror?.getValue() ?? '';
      return text.includes('"data"') || text.includes('"errors"') ? text : false;
    });
    return JSON.parse((await handle.jsonValue()) as string);
  }

  async function runDossierAs(page: Page, role: string): Promise<GraphQLResponse> {
    await page.selectOption('#role', role);
    await page.waitForFunction((sub) => document.querySelector('#token-status')?.textContent?.startsWith(sub), `${role}-dev`);
    await page.selectOption('#example', 'dossier');
    expect(await page.inputValue('#purpose')).toBe(findRole(role).purpose); // the requester's typical purpose
    // Clear the previous response so the next one is not mistaken for it.
    await page.evaluate(() => (document.querySelector('.result-window .CodeMirror') as any)?.CodeMirror?.setValue(''));
    await page.click('.graphiql-execute-button');
    const res = await response(page);
    // The response lists errors (with stack traces outside production) before data: scroll to the data for the screenshot.
    await page.evaluate(() => {
      const cm = (document.querySelector('.result-window .CodeMirror') as any).CodeMirror;
      const line = cm.getValue().split('\n').findIndex((l: string) => l.startsWith('  "data"'));
      cm.scrollTo(null, cm.heightAtLine(line, 'local'));
    });
    return res;
  }

  const codesAt = (res: GraphQLResponse, field: string) => (res.errors ?? []).filter((e) => e.path?.includes(field)).map((e) => e.extensions?.code);

  it('explorer: the same dossier query shows a court and the healthcare-security bureau different records', async () => {
    const page = await context.newPage();
    await page.goto(`${origin}/explorer`);
    await page.waitForSelector('.graphiql-container .graphiql-execute-button');
    // The schema came through the gateway's limits (introspection is deep): the docs list the root fields.
    await page.click('[aria-label="Show Documentation Explorer"]');
    await page.click('.graphiql-doc-explorer a:has-text("Query")');
    await page.waitForSelector('.graphiql-doc-explorer a:has-text("persons")');

    const court = await runDossierAs(page, 'court');
    expect(court.data.person.idNumber).toBe(DEMO.husband);
    expect(court.data.person.name).toBe('张**'); // no pii:unmasked: masked
    expect(court.data.person.marriages.length).toBeGreaterThan(0);
    expect(court.data.person.medicalInsurance).toBeNull();
    expect(codesAt(court, 'medicalInsurance')).toContain('UNAUTHORIZED_FIELD_OR_TYPE');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'explorer-court.png') });

    const health = await runDossierAs(page, 'healthcare-security');
    expect(health.data.person.medicalInsurance.enrolments.length).toBeGreaterThan(0);
    expect(health.data.person.marriages).toBeNull();
    expect(codesAt(health, 'marriages')).toContain('UNAUTHORIZED_FIELD_OR_TYPE');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'explorer-healthcare-security.png') });
    await page.close();
  }, 60_000);

  it('audit page: the auditor finds both queries, opens one, sees the chain intact and exports them', async () => {
    const page = await context.newPage();
    await page.goto(`${origin}/audit`);
    await page.click('#use-auditor');
    await page.waitForSelector('#whoami');
    expect(await page.textContent('#whoami')).toBe('auditor-dev');

    // Only the court's query: by actor.
    await page.fill('#f-actor', 'court-dev');
    await page.fill('#f-purpose', 'litigation');
    await page.click('#search');
    await page.waitForFunction(() => document.querySelectorAll('#results table.results tbody tr').length === 1);
    // Both, by subject, outcome and a time range from a minute before this run (the auditor's local time).
    await page.fill('#f-actor', '');
    await page.fill('#f-purpose', '');
    await page.fill('#f-subject', DEMO.husband);
    await page.selectOption('#f-outcome', 'PARTIAL');
    await page.fill('#f-from', localDateTime(new Date(started - 60_000)));
    await page.click('#search');
    await page.waitForFunction(() => document.querySelectorAll('#results table.results tbody tr').length === 2);
    expect(await page.textContent('#chain-status')).not.toContain('whole log'); // verified over the range
    const actors = await page.$$eval('#results table.results tbody tr td:nth-child(2)', (tds) => tds.map((td) => td.firstChild?.textContent));
    expect(actors.sort()).toEqual(['court-dev', 'healthcare-security-dev']);
    expect(await page.getAttribute('#chain-status', 'data-ok')).toBe('true');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'audit-search.png'), fullPage: true });

    // The court's record: what it asked, about whom, and what it was refused.
    await page.click('#results table.results tbody tr:has-text("court-dev")');
    await page.waitForSelector('#detail');
    const detail = (await page.textContent('#detail'))!;
    expect(detail).toContain('query Dossier');
    expect(detail).toContain(DEMO.husband);
    expect(detail).toContain('Person.medicalInsurance');
    expect(detail).toContain('litigation');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'audit-record.png'), fullPage: true });

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
    const lines = readFileSync((await download.path())!, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ type: 'header', records: 2, truncated: false, filter: { subject: DEMO.husband, outcome: 'PARTIAL' }, chain: { ok: true } });
    expect(Date.parse(lines[0].filter.from)).toBe(Math.floor((started - 60_000) / 1000) * 1000);
    expect(lines.slice(1).map((r) => [r.type, r.operationName, r.principal.sub])).toEqual([
      ['record', 'Dossier', 'court-dev'],
      ['record', 'Dossier', 'healthcare-security-dev'],
    ]);
    await page.close();
  }, 60_000);

  /** Clicks the chart segment the canvas lists under `button` (fallback content: where the segment is drawn). */
  async function clickSegment(page: Page, chart: string, button: string): Promise<void> {
    const at = await page.$eval(`${chart} canvas ${button}`, (b) => ({ x: Number(b.getAttribute('data-x')), y: Number(b.getAttribute('data-y')) }));
    await page.click(`${chart} canvas`, { position: at });
  }

  /** The organisations and actors of the listed records, once a search has filled the field `id` with `value`. */
  async function listed(page: Page, id: string, value: string): Promise<{ orgs: string[]; actors: string[] }> {
    await page.waitForFunction(([field, v]) => (document.getElementById(field) as HTMLInputElement).value === v && document.querySelectorAll('#results table.results tbody tr').length > 0, [id, value]);
    await page.waitForFunction(() => !document.getElementById('message')?.textContent?.includes('Searching'));
    const column = (n: number) => page.$$eval(`#results table.results tbody tr td:nth-child(${n})`, (tds) => [...new Set(tds.map((td) => td.firstChild?.textContent ?? ''))]);
    return { orgs: await column(3), actors: await column(2) };
  }

  it('audit page: the whole-log search of the sign-in, answered late, does not replace the auditor\'s own search', async () => {
    const page = await context.newPage();
    const isSearch = (body: string, court: boolean) => body.includes('AuditSearch') && body.includes('court-dev') === court;
    // Holds back the sign-in's search (no filter) until the auditor's own has been answered.
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let held = false;
    await page.route('**/*', async (route) => {
      if (!held && isSearch(route.request().postData() ?? '', false)) {
        held = true;
        await released;
      }
      await route.fallback();
    });
    await page.goto(`${origin}/audit`);
    await page.click('#use-auditor');
    await page.waitForSelector('#whoami');
    await page.fill('#f-actor', 'court-dev');
    await page.fill('#f-purpose', 'litigation');
    await page.click('#search');
    await page.waitForFunction(() => document.querySelectorAll('#results table.results tbody tr').length === 1);
    expect(held).toBe(true);
    const late = page.waitForResponse((res) => isSearch(res.request().postData() ?? '', false));
    release();
    await (await late).finished();
    await page.waitForTimeout(300); // the page's handling of the late answer
    expect(await page.locator('#results table.results tbody tr').count()).toBe(1);
    await page.close();
  });

  it('audit page: the overview charts accesses (Chart.js); clicking a segment or a top requester lists its records', async () => {
    // A refused request, for the denied line: the auditor's role may not read records.
    const refused = await gql(fed.url, 'query Refused($id: ID!) { person(idNumber: $id) { name } }', { id: DEMO.husband }, await roleHeaders('auditor'));
    expect(refused.data?.person ?? null).toBeNull();
    const page = await context.newPage();
    await page.goto(`${origin}/audit`);
    await page.click('#use-auditor');
    await page.waitForSelector('#overview-chart[data-drawn], #overview-empty');
    const court = '常德市武陵区人民法院';
    const segment = `button[data-category="${court}"][data-kind="count"]`;
    // The court's query of the first test reaches the rollup within a tick; re-group to refresh.
    const deniedPoint = '#overview-timeline canvas button[data-kind="denied"]';
    for (let i = 0; i < 20 && !((await page.$(`#overview-chart[data-drawn] canvas ${segment}`)) && (await page.$(deniedPoint))); i++) {
      await page.selectOption('#overview-group', 'PURPOSE');
      await page.selectOption('#overview-group', 'ORGANISATION');
      await page.waitForTimeout(300);
    }
    expect(await page.textContent(`#overview-chart canvas ${segment}`)).toMatch(new RegExp(`^${court} · 准许 allowed: \\d+$`));
    // Chart.js drew both charts: their canvases hold coloured pixels.
    const painted = await page.$$eval('#overview canvas', (canvases) =>
      canvases.map((c) => {
        const { data } = (c as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, (c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height);
        let n = 0;
        for (let i = 0; i < data.length; i += 4) if (data[i + 3] > 0 && (data[i] !== data[i + 1] || data[i + 1] !== data[i + 2])) n++;
        return n;
      }),
    );
    expect(painted).toHaveLength(2);
    expect(Math.min(...painted)).toBeGreaterThan(500);
    // The timeline stacks by organisation, with the denied requests and cache hits as lines.
    expect(await page.$$eval('#overview-timeline canvas button[data-kind="count"]', (bs) => [...new Set(bs.map((b) => b.getAttribute('data-series')))])).toContain(court);
    expect(await page.textContent(deniedPoint)).toMatch(/· 拒绝 denied: [1-9]/);
    expect(await page.textContent('#top-requesters')).toContain('court-dev');
    expect(await page.textContent('#top-subjects')).toContain(DEMO.husband);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'audit-overview.png'), fullPage: true });

    await clickSegment(page, '#overview-chart', segment);
    const byOrg = await listed(page, 'f-org', court);
    expect(byOrg.orgs).toEqual([court]);
    expect(byOrg.actors).toContain('court-dev');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'audit-overview-filtered.png'), fullPage: true });

    // A segment of the timeline: the court's accesses in that hour.
    const hour = await page.getAttribute(`#overview-timeline canvas button[data-series="${court}"][data-kind="count"]`, 'data-category');
    await page.fill('#f-org', '');
    await clickSegment(page, '#overview-timeline', `button[data-series="${court}"][data-category="${hour}"]`);
    const inHour = await listed(page, 'f-org', court);
    expect(inHour.orgs).toEqual([court]);
    expect(Date.parse(`${await page.inputValue('#f-to')}Z`) - Date.parse(`${await page.inputValue('#f-from')}Z`)).toBe(3_600_000);

    // The denied line's point: that hour's refused requests.
    await clickSegment(page, '#overview-timeline', `button[data-kind="denied"][data-category="${await page.getAttribute(deniedPoint, 'data-category')}"]`);
    await listed(page, 'f-outcome', 'DENIED');
    const outcomes = await page.$$eval('#results table.results tbody tr td:nth-child(7) .outcome', (spans) => [...new Set(spans.map((s) => s.textContent))]);
    expect(outcomes).toEqual(['拒绝 DENIED']);
    expect(await page.inputValue('#f-org')).toBe('');

    await page.click('#top-requesters tr[data-key="court-dev"]');
    const byActor = await listed(page, 'f-actor', 'court-dev');
    expect(byActor.actors).toEqual(['court-dev']);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'audit-top-requesters.png'), fullPage: true });
    await page.close();
  }, 90_000);

  it('loaded everything from the gateway: no request left this machine, no script error', () => {
    expect(external).toEqual([]);
    expect(requested).toEqual(expect.arrayContaining([`${origin}/explorer`, `${origin}/graphql`, `${origin}/audit`, `${origin}/audit/graphql`]));
    expect(requested.filter((u) => !u.startsWith(origin) && !u.startsWith('data:') && !u.startsWith('blob:'))).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('every example operation of the explorer runs cleanly as its suggested role', async () => {
    for (const example of exampleOperations()) {
      const res = await gql(fed.url, example.query, JSON.parse(example.variables), await roleHeaders(example.suggestedRole));
      const codes = (res.errors ?? []).map((e) => e.extensions?.code);
      expect({ example: example.key, status: res.status, codes: codes.filter((c) => c !== 'UNAUTHORIZED_FIELD_OR_TYPE') }).toEqual({ example: example.key, status: 200, codes: [] });
      expect(Object.values(res.data ?? {}).every((v) => v !== null)).toBe(true);
    }
  }, 30_000);
});
