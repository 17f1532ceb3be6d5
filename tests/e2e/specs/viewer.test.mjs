// A large message's attachment, end to end, in the real app window against the real test
// servers: a 20 MiB attachment (put into the INBOX with IMAP APPEND) is listed as a chip when the
// message is opened (only its text downloaded), and "Save…" opens the system's save dialog (GTK,
// driven with xdotool: there is no WebDriver for native dialogs); the saved file must have the
// original's SHA-256.
//
// Run through tests/e2e/run.sh (or `make e2e`). It runs after slice.test.mjs (file-name order,
// one data folder): it finds its own account among others.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import {
  addUser, assertUiEmbedded, fatal, log, poll, saveFailureArtifacts, screenshot, serverEnv, startApp,
  tid, uniqueTag, visibleErrors,
} from '../helpers.mjs';

const run = promisify(execFile);
const STEP_TIMEOUT = 150_000;
const SIZE = 20 << 20;

/** Puts `raw` into the INBOX over IMAP (APPEND through curl, TLS verified against the test CA). */
async function imapAppend(srv, user, raw) {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-e2e-append-'));
  try {
    const file = join(dir, 'message.eml');
    writeFileSync(file, raw);
    await run('curl', ['--silent', '--show-error', '--max-time', '120',
      `imaps://${srv.host}:${srv.imapsPort}/INBOX`, '--cacert', srv.caFile,
      '--user', `${user.email}:${user.password}`, '--upload-file', file], { maxBuffer: 1 << 20 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A message with a short text and one large binary attachment (base64, RFC 2231 file name). */
function bigMessage(user, subject, data) {
  const b64 = data.toString('base64').replace(/.{76}/g, '$&\r\n');
  return Buffer.from([
    `From: Ann <ann@petrel.test>`, `To: ${user.email}`, `Subject: ${subject}`,
    `Date: ${new Date().toUTCString()}`, `Message-ID: <${subject.replace(/\W+/g, '-')}@petrel.test>`,
    'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b1"', '',
    '--b1', 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: quoted-printable', '',
    'Die Messdaten h=C3=A4ngen an.', '',
    '--b1', 'Content-Type: application/octet-stream', 'Content-Transfer-Encoding: base64',
    "Content-Disposition: attachment; filename*=UTF-8''Messdaten%20M%C3%A4rz.bin", '',
    b64, '--b1--', '',
  ].join('\r\n'));
}

describe('attachments of a large message', { timeout: 10 * 60_000 }, () => {
  const tag = uniqueTag();
  const subject = `Large data ${tag}`;
  const data = randomBytes(SIZE);
  const sha256 = createHash('sha256').update(data).digest('hex');
  const out = mkdtempSync(join(tmpdir(), 'petrel-e2e-save-'));
  const dest = join(out, `saved-${tag}.bin`);
  let srv;
  let browser;
  let failed = false;
  let accountId;
  const me = { name: 'E2E Viewer', password: `pw-viewer-${tag}` };

  function step(name, fn) {
    it(name, { timeout: STEP_TIMEOUT }, async (t) => {
      if (failed) {
        t.skip('an earlier step failed');
        return;
      }
      const started = Date.now();
      log(`step: ${name}`);
      try {
        await fn();
        log(`step done in ${((Date.now() - started) / 1000).toFixed(1)} s: ${name}`);
      } catch (err) {
        failed = true;
        const errors = browser ? await visibleErrors(browser, ['error-banner', 'acct-error', 'attachment-error'])
          .catch(() => '') : '';
        if (errors && !err.message.includes(errors)) err.message += `\n  errors shown by the app: ${errors}`;
        await saveFailureArtifacts(browser, `viewer ${name}`);
        throw err;
      }
    });
  }

  async function waitFor(selector, { timeout = 60_000, what = selector } = {}) {
    return poll(async () => {
      const errors = await visibleErrors(browser, ['acct-error', 'attachment-error']);
      if (errors) throw fatal(`the app shows an error while waiting for ${what}: ${errors}`);
      const el = await browser.$(selector);
      return (await el.isExisting()) ? el : null;
    }, { timeout, interval: 250, message: `${what} did not appear within ${timeout / 1000} s` });
  }

  const tree = () => `${tid('account-folders')}[data-account-id="${accountId}"]`;
  const rowXPath = '//*[@data-testid="message-row"][.//*[@data-testid="message-subject" and ' +
    `normalize-space(.)="${subject}"]]`;

  before(async () => {
    srv = serverEnv();
    me.email = `e2e-viewer-${tag}@${srv.domain}`;
    log(`user: ${me.email}`);
    await addUser(me.email, me.password);
    await imapAppend(srv, me, bigMessage(me, subject, data));
    browser = await startApp();
  });

  after(async () => {
    if (browser) await browser.deleteSession().catch((e) => log('closing the app:', e.message));
    rmSync(out, { recursive: true, force: true });
  });

  step('sets up the account through the manual form', async () => {
    const first = await poll(async () => {
      await assertUiEmbedded(browser);
      if (await browser.$(tid('account-form')).isExisting()) return 'form';
      if (await browser.$(tid('manual-setup')).isExisting()) return 'wizard';
      if (await browser.$(tid('add-account-button')).isExisting()) return 'button';
      return null;
    }, { timeout: 60_000, message: 'neither the set-up wizard nor "add account" appeared' });
    if (first === 'button') await browser.$(tid('add-account-button')).click();
    if (first !== 'form') await (await waitFor(tid('manual-setup'), { what: '"Set up manually"' })).click();
    await waitFor(tid('account-form'));
    const fill = async (id, value) => browser.$(tid(id)).setValue(String(value));
    await fill('acct-name', me.name);
    await fill('acct-email', me.email);
    await fill('acct-password', me.password);
    await fill('imap-host', srv.host);
    await browser.$(tid('imap-security')).selectByAttribute('value', 'tls');
    await fill('imap-port', srv.imapsPort);
    await fill('imap-username', me.email);
    await fill('smtp-host', srv.host);
    await browser.$(tid('smtp-security')).selectByAttribute('value', 'tls');
    await fill('smtp-port', srv.submissionsPort);
    await fill('smtp-username', me.email);
    await browser.$(tid('acct-submit')).click();
    const row = await waitFor(`${tid('account-row')}[data-email="${me.email}"]`, { what: 'the account in the folder tree' });
    accountId = await row.getAttribute('data-account-id');
    await waitFor(`${tree()} ${tid('folder-item')}[data-role="inbox"]`, { what: 'the INBOX in the folder tree' });
  });

  step('opens the large message: its text, and its attachment as a chip', async () => {
    await browser.$(`${tree()} ${tid('folder-item')}[data-role="inbox"]`).click();
    await waitFor(rowXPath, { what: `the row "${subject}"` });
    await browser.$(rowXPath).click();
    await poll(async () => (await browser.$(tid('reader-body')).getText()).includes('Die Messdaten hängen an.'),
      { timeout: 30_000, message: 'the reader does not show the text' });
    const chip = await waitFor(tid('attachment-chip'), { what: 'the attachment chip' });
    // Its tooltip has the whole name (WebKitWebDriver's text leaves out the ellipsised name).
    const title = await chip.getAttribute('title');
    assert.equal(title, 'Messdaten März.bin — application/octet-stream, 20 MB');
    assert.match(await chip.getText(), /20 MB/);
    await screenshot(browser, 'viewer-attachment-chip');
  });

  step('"Save…" asks where with the system dialog and saves the exact bytes', async () => {
    await browser.$(tid('attachment-save')).click();
    // The GTK save dialog: a native window, found by its title and typed into with xdotool.
    const { stdout } = await run('xdotool', ['search', '--sync', '--onlyvisible', '--name', 'Save attachment'],
      { timeout: 30_000 }).catch((e) => {
      throw new Error(`the save dialog did not appear: ${e.message}`);
    });
    const win = stdout.trim().split('\n').pop();
    await screenshot(browser, 'viewer-save-dialog').catch(() => {});
    await run('xdotool', ['windowfocus', '--sync', win]).catch((e) => log('windowfocus:', e.message));
    // The name field has the sender's name selected; an absolute path typed there is taken whole.
    await run('xdotool', ['key', '--clearmodifiers', 'ctrl+a']);
    await run('xdotool', ['type', '--delay', '20', dest]);
    await run('xdotool', ['key', 'Return']);
    await poll(async () => existsSync(dest) && statSync(dest).size === SIZE,
      { timeout: 120_000, interval: 500, message: `${dest} was not written with ${SIZE} bytes` });
    const got = createHash('sha256').update(readFileSync(dest)).digest('hex');
    assert.equal(got, sha256, 'SHA-256 of the saved file');
    await poll(async () => (await browser.$(tid('attachment-save')).getText()).includes('Saved'),
      { timeout: 10_000, message: 'the chip does not say "Saved"' });
    await screenshot(browser, 'viewer-attachment-saved');
  });
});
