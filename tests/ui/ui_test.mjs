// The collector's live page in headless Chromium: `seglog collector --ui` started as a user
// starts it, events POSTed to it as a client sends them, the page read as a user reads it.
//
//   node ui_test.mjs SEGLOG_BINARY PLAN_FILE [SCREENSHOT_PNG]
//
// Prints "ok - ..." per check; exits 1 at the first failure with what was expected and seen.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import puppeteer from 'puppeteer-core';

const [seglog, planFile, screenshot] = process.argv.slice(2);
if (!seglog || !planFile) {
  console.error('usage: node ui_test.mjs SEGLOG_BINARY PLAN_FILE [SCREENSHOT_PNG]');
  process.exit(2);
}
const uiMax = 8;
const waitMs = 20000; // for each condition; a loaded machine is slow, a broken page never gets there

let collector;
let browser;
let failed = false;

function check(cond, what, seen) {
  if (!cond) throw new Error(`${what}${seen !== undefined ? `: saw ${JSON.stringify(seen)}` : ''}`);
  console.log(`ok - ${what}`);
}

// Starts the collector and reads the live page's address from its first lines.
async function startCollector() {
  collector = spawn(seglog, ['collector', '--ui', '--port', '0', '--ui-max', String(uiMax), '--plan', planFile,
                              '--quiet'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "live page:" line from seglog collector: ${out}`)), waitMs);
    collector.stdout.on('data', (chunk) => {
      out += chunk;
      const m = /live page: (http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    collector.on('exit', (code) => reject(new Error(`seglog collector exited with ${code}: ${out}`)));
  });
  return url;
}

let nextId = 0;
function event(type, fields) {
  nextId += 1;
  return { type, messageId: `ui-test-${nextId}`, timestamp: new Date().toISOString(), ...fields };
}

async function post(url, batch) {
  const res = await fetch(`${url}/v1/batch`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: 'Basic ' + Buffer.from('key:').toString('base64') },
    body: JSON.stringify({ batch, sentAt: new Date().toISOString() }),
  });
  if (res.status !== 200) throw new Error(`POST /v1/batch answered ${res.status}`);
}

// The rows as the user sees them: visible ones only, top to bottom.
const visibleRows = (page) =>
  page.$$eval('#rows tr', (trs) =>
    trs.filter((tr) => !tr.hidden && tr.offsetParent !== null).map((tr) => ({
      type: tr.querySelector('.type').textContent,
      name: tr.querySelector('.name').textContent,
      user: tr.querySelector('.user').textContent,
      check: tr.querySelector('.check').textContent,
      answer: tr.querySelector('.answer').textContent,
    })));
const rowCount = (page) => page.$$eval('#rows tr', (trs) => trs.length);
const counter = (page, name) => page.$eval(`#c-${name}`, (b) => Number(b.textContent));

async function waitRows(page, n) {
  await page.waitForFunction((n) => document.querySelectorAll('#rows tr').length === n, { timeout: waitMs }, n);
}

async function run() {
  const url = await startCollector();
  browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--headless=new', '--disable-gpu', '--disable-dev-shm-usage'],
    defaultViewport: { width: 1280, height: 560 },
  });
  const page = await browser.newPage();
  const requestsOut = [];
  page.on('request', (r) => { if (!r.url().startsWith(url)) requestsOut.push(r.url()); });
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('dialog', (d) => { pageErrors.push(`dialog: ${d.message()}`); d.dismiss(); });

  await page.goto(`${url}/`, { waitUntil: 'load' });
  await page.waitForFunction(() => document.getElementById('connection').textContent === 'live', { timeout: waitMs });
  check(await rowCount(page) === 0, 'the page opens live and empty');

  // 1. Events appear, newest first, with the plan's verdict.
  const care = event('track', {
    userId: 'patient-42', event: 'Care Request Submitted',
    properties: { request_id: 'cr-1', urgency: 'urgent', channel: 'mobile-app' },
  });
  const who = event('identify', { anonymousId: 'anon-7', traits: { role: 'patient' } });
  const badCare = event('track', {
    userId: 'patient-43', event: 'Care Request Submitted', properties: { request_id: 'cr-2', urgency: 'whenever' },
  });
  const sent = Date.now();
  await post(url, [care, who, badCare]);
  await waitRows(page, 3);
  const latency = Date.now() - sent;
  console.log(`# first events on the page ${latency} ms after the POST began`);
  check(latency < 5000, 'events appear without a reload', latency);
  let rows = await visibleRows(page);
  check(JSON.stringify(rows.map((r) => r.user)) === JSON.stringify(['patient-43', 'anon-7', 'patient-42']),
        'newest first, each with its userId or anonymousId', rows);
  check(rows[2].type === 'track' && rows[2].name === 'Care Request Submitted' && rows[1].type === 'identify',
        'type and event name shown', rows);
  check(rows[2].check === 'valid' && rows[1].check === 'valid' && rows[0].check === 'invalid',
        'the badge says valid or invalid against --plan', rows.map((r) => r.check));
  check(rows.every((r) => r.answer === '200'), 'the answer given is shown', rows.map((r) => r.answer));

  const page2 = event('page', { userId: 'patient-42', name: 'Care Plan', properties: { path: '/plan' } });
  const sent2 = Date.now();
  await post(url, [page2]);
  await waitRows(page, 4);
  console.log(`# a later event on the page ${Date.now() - sent2} ms after its POST began`);
  rows = await visibleRows(page);
  check(rows[0].type === 'page' && rows[0].name === 'Care Plan', 'a later request goes on top', rows[0]);
  const counted = { requests: await counter(page, 'requests'), events: await counter(page, 'events') };
  check(counted.requests === 2 && counted.events === 4, 'requests and events counted', counted);

  // 2. Filters hide the others.
  await page.select('#f-type', 'identify');
  rows = await visibleRows(page);
  check(rows.length === 1 && rows[0].user === 'anon-7', 'the type filter shows only identify', rows);
  await page.select('#f-type', '');
  await page.type('#f-name', 'care req');
  rows = await visibleRows(page);
  check(rows.length === 2 && rows.every((r) => r.name === 'Care Request Submitted'), 'the name filter (any case)',
        rows);
  await page.$eval('#f-name', (i) => { i.value = ''; i.dispatchEvent(new Event('input')); });
  await page.type('#f-user', 'patient-42');
  rows = await visibleRows(page);
  check(rows.length === 2 && rows.every((r) => r.user === 'patient-42'), 'the user filter', rows);
  // A new event that does not match stays hidden; one that matches shows.
  await post(url, [event('track', { userId: 'someone-else', event: 'Appointment Cancelled',
                                    properties: { appointment_id: 'ap-1', cancelled_by: 'patient' } })]);
  await waitRows(page, 5);
  rows = await visibleRows(page);
  check(rows.length === 2, 'an arriving event that does not match the filter stays hidden', rows);
  await page.$eval('#f-user', (i) => { i.value = ''; i.dispatchEvent(new Event('input')); });
  check((await visibleRows(page)).length === 5, 'clearing the filters shows every row');

  // 3. A click opens the event's JSON.
  // Top to bottom: the cancellation, page2, badCare, who, care.
  await page.click('#rows tr:nth-child(4)');
  await page.waitForSelector('#detail:not([hidden])', { timeout: waitMs });
  let json = await page.$eval('#json', (p) => p.textContent);
  check(JSON.parse(json).messageId === who.messageId, 'a click opens the full JSON of that event', json);
  await page.click('#rows tr:nth-child(3)');
  json = await page.$eval('#json', (p) => p.textContent);
  const why = await page.$eval('#detail-check', (d) => d.textContent);
  check(JSON.parse(json).messageId === badCare.messageId && why.includes('/properties/urgency'),
        'the JSON view of an invalid event says why', why);

  if (screenshot) {
    await page.screenshot({ path: screenshot });
    console.log(`# screenshot: ${screenshot}`);
  }

  // Event data is text, never markup.
  const hostile = '<img src=x onerror="window.__xss=1">';
  await post(url, [event('track', { userId: hostile, event: hostile, properties: {} })]);
  await waitRows(page, 6);
  rows = await visibleRows(page);
  const imgs = await page.$$eval('#rows img, #detail img', (l) => l.length);
  check(rows[0].name === hostile && rows[0].user === hostile && imgs === 0 &&
        await page.evaluate(() => window.__xss === undefined), 'event fields are shown as text, not markup', rows[0]);

  // 4. Pause holds new rows back, counters go on; resume shows them.
  await page.click('#pause');
  const duplicateOfCare = { ...care }; // same messageId: a client's resend
  await post(url, [duplicateOfCare]);
  await page.waitForFunction(() => document.getElementById('c-duplicates').textContent === '1', { timeout: waitMs });
  check(await rowCount(page) === 6, 'paused: the row is held back while the counters go on');
  check(await page.$eval('#pause', (b) => b.textContent) === 'Resume (1 new)', 'the pause button counts what waits');
  await page.click('#pause');
  await waitRows(page, 7);
  rows = await visibleRows(page);
  check(rows[0].user === 'patient-42' && rows[0].name === 'Care Request Submitted', 'resume shows what arrived');
  check(await counter(page, 'duplicates') === 1, 'a messageId accepted again counts as a duplicate');

  // 5. Bounded: beyond --ui-max the oldest go, from the page and from the server, counted.
  const more = [];
  for (let i = 0; i < 5; ++i) more.push(event('track', { anonymousId: `anon-${i}`, event: `Bulk ${i}` }));
  await post(url, more); // 12 events in all now
  await page.waitForFunction(() => document.getElementById('c-dropped').textContent === '4', { timeout: waitMs });
  check(await rowCount(page) === uiMax, `the page keeps the last ${uiMax}`, await rowCount(page));
  rows = await visibleRows(page);
  check(rows[0].name === 'Bulk 4' && rows[uiMax - 1].name === 'Appointment Cancelled',
        'the oldest were dropped', rows.map((r) => r.name || r.type));
  check((await page.$eval('#c-dropped-label', (s) => s.textContent)).includes(String(uiMax)),
        'the drop count says how many are kept');
  const snapshot = await (await fetch(`${url}/events.json`)).json();
  check(snapshot.entries.length === uiMax && snapshot.counters.dropped === 4 && snapshot.counters.events === 12,
        'the server keeps the same bound', snapshot.counters);

  // A reload starts from the server's snapshot.
  await page.reload({ waitUntil: 'load' });
  await waitRows(page, uiMax);
  check(await counter(page, 'dropped') === 4 && await counter(page, 'events') === 12,
        'a reloaded page gets the kept events and the counters');

  check(requestsOut.length === 0, 'the page loads nothing from anywhere but the collector', requestsOut);
  check(pageErrors.length === 0, 'no script errors on the page', pageErrors);
}

try {
  await run();
  console.log('# all checks passed');
} catch (e) {
  failed = true;
  console.error(`not ok - ${e.message}`);
} finally {
  if (collector && collector.exitCode === null) {
    collector.kill('SIGTERM');
    const [code] = await Promise.race([once(collector, 'exit'), new Promise((r) => setTimeout(() => r([null]), 10000))]);
    if (code !== 0) {
      console.error(`not ok - seglog collector did not stop cleanly on SIGTERM (exit ${code})`);
      failed = true;
    } else {
      console.log('ok - the collector stops on SIGTERM with the page open');
    }
  }
  if (browser) await browser.close().catch(() => {});
}
process.exit(failed ? 1 : 0);
