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
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe } from 'node:test';
import { imapAppend, log, poll, screenshot, serverEnv, tid, uniqueTag } from '../helpers.mjs';
import { messageRow, newUserWithMail, scenario } from '../story.mjs';

const run = promisify(execFile);
const SIZE = 20 << 20;

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
  let accountId;
  const me = { name: 'E2E Viewer', password: `pw-viewer-${tag}` };
  const { step, waitFor, ...app } = scenario({
    label: 'viewer', errors: ['error-banner', 'acct-error', 'attachment-error'], waitErrors: ['acct-error', 'attachment-error'],
  });

  const tree = () => `${tid('account-folders')}[data-account-id="${accountId}"]`;
  const rowXPath = messageRow(subject);

  before(async () => {
    srv = serverEnv();
    me.email = `e2e-viewer-${tag}@${srv.domain}`;
    log(`user: ${me.email}`);
    await newUserWithMail(srv, me);
    await imapAppend(srv, me, 'INBOX', bigMessage(me, subject, data));
    browser = await app.start();
  });

  after(() => {
    rmSync(out, { recursive: true, force: true });
  });

  step('sets up the account through the manual form', async () => {
    await app.setUpManually(srv, me);
    accountId = await app.accountId(me);
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
