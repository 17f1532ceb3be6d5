// The composer, end to end, in the real app window against the real test servers: a signature and
// an alias set in the account settings; a new message with an address completed from the mail
// already received, bold text and an inline image in the rich editor and an attached file with a
// non-ASCII name (given to the file inputs as WebDriver does for uploads) is sent; it reaches the
// recipient's INBOX (checked over IMAP) with a text/html part holding the bold text and the image
// by its cid:, and the file's bytes intact under its name. Then "Reply all" on a message sent to
// the user and someone else addresses the sender in To and the other recipient in Cc, and
// "Forward as attachment" attaches the original.
//
// Run through tests/e2e/run.sh (or `make e2e`); it finds its own account among others.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import {
  addUser, imapAppend, imapFetch, imapSearchSubject, log, mimeParts, poll, screenshot, serverEnv, tid, uniqueTag,
} from '../helpers.mjs';
import { messageRow, newUserWithMail, scenario } from '../story.mjs';

/** A 1×1 PNG. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

describe('composer', { timeout: 10 * 60_000 }, () => {
  const tag = uniqueTag();
  const greeting = `Hello from the composer ${tag}`;
  const boldText = `bold words ${tag}`;
  const linkTyped = `example.org/${tag}`;
  const linkHref = `https://example.org/${tag}`;
  const subject = `Composed ${tag}`;
  const fileName = `Grüße – Übersicht ${tag}.bin`;
  const fileBytes = randomBytes(50_000);
  const replyAllSubject = `Team plan ${tag}`;
  let srv;
  let browser;
  let accountId;
  let dir;
  let filePath;
  let imagePath;
  const me = { name: 'E2E Composer', password: `pw-compose-${tag}` };
  const them = { name: 'Zoë Ünal', password: `pw-compose-to-${tag}` };
  const carol = { name: 'Carol Cc', password: `pw-compose-cc-${tag}` };
  const { step, waitFor, waitGone, ...app } = scenario({ label: 'compose' });

  const tree = () => `${tid('account-folders')}[data-account-id="${accountId}"]`;
  // WebKitWebDriver's Get Element Text misses text in some flex layouts: the DOM's own.
  const innerText = (el) => browser.execute((e) => e.innerText, el);

  before(async () => {
    srv = serverEnv();
    me.email = `e2e-compose-${tag}@${srv.domain}`;
    them.email = `e2e-zoe-${tag}@${srv.domain}`;
    carol.email = `e2e-carol-${tag}@${srv.domain}`;
    log(`users: ${me.email} → ${them.email}, Cc ${carol.email}`);
    // A message from Zoë makes her an address the composer suggests.
    await newUserWithMail(srv, me, {
      from: them,
      messages: [{ subject: `Hi ${tag}`, messageId: `hi-${tag}@e2e.petrel.test`, body: 'Write back!' }],
    });
    await addUser(them.email, them.password);
    await addUser(carol.email, carol.password);
    // A message to the user and Carol, from Zoë: "Reply all" answers both.
    await imapAppend(srv, me, 'INBOX', [
      `From: ${them.name} <${them.email}>`,
      `To: ${me.name} <${me.email}>`,
      `Cc: ${carol.name} <${carol.email}>`,
      `Subject: ${replyAllSubject}`,
      `Date: ${new Date().toUTCString()}`,
      `Message-ID: <team-${tag}@e2e.petrel.test>`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'What do you both think?',
      '',
    ].join('\r\n'));
    dir = mkdtempSync(join(tmpdir(), 'petrel-e2e-attach-'));
    filePath = join(dir, fileName);
    writeFileSync(filePath, fileBytes);
    imagePath = join(dir, 'dot.png');
    writeFileSync(imagePath, PNG);
    browser = await app.start();
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  step('sets up the account through the manual form', async () => {
    await app.setUpManually(srv, me);
    accountId = await app.accountId(me);
    const inbox = await waitFor(`${tree()} ${tid('folder-item')}[data-role="inbox"]`, { what: 'the INBOX in the folder tree' });
    await inbox.click();
    await waitFor(messageRow(`Hi ${tag}`), { what: 'the received message in the list' });
  });

  step('gives the identity a signature and adds an alias in the account settings', async () => {
    await browser.$(tid('account-settings-button')).click();
    await waitFor(tid('account-settings'), { timeout: 5_000, what: 'the account settings' });
    await browser.$(tid('settings-nav-identities')).click();
    const signature = await waitFor(tid('identity-signature'), { timeout: 10_000, what: 'the identity form' });
    await signature.setValue(`${me.name}\uE007Petrel tests`);
    await browser.$(tid('identity-save')).click();
    await waitFor(tid('identity-saved'), { timeout: 10_000, what: 'the "Saved" confirmation' });
    await browser.$(tid('alias-name')).setValue('Sales desk');
    await browser.$(tid('alias-email')).setValue(`sales-${tag}@${srv.domain}`);
    await browser.$(tid('alias-add')).click();
    await waitFor(tid(`identity-sales-${tag}@${srv.domain}`), { timeout: 10_000, what: 'the new alias in the list' });
    await screenshot(browser, 'compose identities settings');
    await browser.$(tid('settings-close')).click();
    await waitGone(tid('account-settings'), { what: 'the account settings' });
  });

  step('a new message starts with the signature; another identity in From replaces it', async () => {
    await browser.$(tid('compose-button')).click();
    await waitFor(tid('composer'), { what: 'the composer' });
    let shown = '';
    await poll(async () => /--\s+E2E Composer\s+Petrel tests/.test(shown = await app.bodyText()),
      { timeout: 5_000, message: 'the new message has no signature' }).catch((e) => {
      throw new Error(`${e.message}: the editor shows ${JSON.stringify(shown)}`);
    });
    const from = await browser.$(tid('compose-from'));
    await from.selectByVisibleText(`Sales desk <sales-${tag}@${srv.domain}>`);
    await poll(async () => !(await app.bodyText()).includes('Petrel tests'),
      { timeout: 5_000, message: 'the signature stays after choosing the alias (which has none)' });
    await from.selectByVisibleText(`${me.name} <${me.email}>`);
    await poll(async () => (await app.bodyText()).includes('Petrel tests'),
      { timeout: 5_000, message: 'the signature did not come back with the default identity' });
  });

  step('completes the recipient from the mail received', async () => {
    const to = await browser.$(tid('compose-to'));
    await to.addValue(`e2e-zoe-${tag}`);
    const option = await waitFor(`${tid('compose-to-suggestions')} ${tid('address-suggestion')}`, { timeout: 15_000, what: 'the address suggestions' });
    assert.match(await option.getText(), new RegExp(them.email.replace(/[.]/g, '\\.')));
    await screenshot(browser, 'compose suggestions');
    // Enter accepts the highlighted suggestion.
    await to.addValue('\uE007');
    await poll(async () => (await to.getValue()) === `${them.name} <${them.email}>, `,
      { timeout: 5_000, message: `To is not "${them.name} <${them.email}>, " after Enter` });
    assert.ok(!(await browser.$(tid('compose-to-suggestions')).isExisting()), 'the suggestions stay open after accepting one');
  });

  step('writes bold text and attaches a file with a non-ASCII name', async () => {
    await browser.$(tid('compose-subject')).setValue(subject);
    assert.ok(await browser.$(tid('compose-editor')).isExisting(), 'the composer does not start in rich text');
    await app.typeBody(`${greeting} `, { at: 'start' });
    await browser.$(tid('format-bold')).click();
    await app.typeBody(boldText, { at: 'caret' });
    await poll(async () => (await browser.$(`${tid('compose-editor')} b`).getText().catch(() => '')).includes(boldText),
      { timeout: 5_000, message: 'the typed text is not bold in the editor' });
    // A link, through the link bar (the toolbar's Link button; Ctrl+K is the same).
    await browser.$(tid('format-link')).click();
    await browser.$(tid('compose-link')).setValue(linkTyped);
    await browser.$(tid('compose-link-apply')).click();
    await waitGone(tid('compose-link-bar'), { timeout: 5_000, what: 'the link bar after Apply' });
    await waitFor(`${tid('compose-editor')} a[href="${linkHref}"]`, { timeout: 5_000, what: 'the link in the text' });
    const typed = await app.bodyText();
    assert.ok(typed.indexOf(boldText) < typed.search(/^--\s*$/m), `the text is not above the signature: ${typed}`);
    // The native picker is not driven: WebDriver gives the file to the <input type=file>.
    await browser.$(tid('compose-attach-input')).addValue(filePath);
    const chip = await waitFor(tid('compose-attachment'), { timeout: 20_000, what: 'the attachment chip' });
    const chipText = await innerText(chip);
    assert.match(chipText, /Grüße – Übersicht/);
    assert.match(chipText, /49 KB/);
    // An inline image, through "Insert image"'s file input: shown in the text, sent as cid:.
    await browser.$(tid('compose-image-input')).addValue(imagePath);
    await waitFor(`${tid('compose-editor')} img[data-cid]`, { timeout: 20_000, what: 'the inline image in the text' });
    assert.equal((await browser.$$(tid('compose-attachment'))).length, 1, 'the inline image is listed with the files');
    await screenshot(browser, 'compose rich text with attachment');
  });

  step('sends: the message reaches the recipient with its HTML part and the file intact (over IMAP)', async () => {
    await browser.$(tid('compose-send')).click();
    await waitFor(`${tid('send-toast')}[data-kind="sending"]`, { timeout: 10_000, what: 'the "Sending" toast' });
    await waitGone(tid('composer'), { timeout: 5_000, what: 'the composer after Send' });
    const uids = await poll(async () => {
      const found = await imapSearchSubject(srv, them, 'INBOX', subject);
      return found.length ? found : null;
    }, { timeout: 60_000, interval: 1000, message: `"${subject}" did not reach ${them.email}'s INBOX` });
    const raw = await imapFetch(srv, them, 'INBOX', uids[0]);
    const parts = mimeParts(raw);
    log(`parts: ${parts.map((p) => `${p.type}${p.filename ? ` "${p.filename}"` : ''} (${p.bytes.length} B)`).join(', ')}`);
    const html = parts.find((p) => p.type === 'text/html');
    assert.ok(html, 'no text/html part');
    const htmlText = html.bytes.toString('utf8');
    assert.match(htmlText, new RegExp(`<(b|strong)[^>]*>[^<]*${boldText}`), `the HTML part lacks the bold text: ${htmlText}`);
    assert.ok(htmlText.includes(`href="${linkHref}"`), `the HTML part lacks the link: ${htmlText}`);
    const plain = parts.find((p) => p.type === 'text/plain');
    assert.ok(plain && plain.bytes.toString('utf8').includes(linkHref), 'the plain-text part lacks the link address');
    assert.ok(plain && plain.bytes.toString('utf8').includes(greeting), 'the plain-text part lacks the text');
    assert.match(plain.bytes.toString('utf8'), /-- \r?\nE2E Composer\r?\nPetrel tests/, 'the plain-text part lacks the signature');
    const image = parts.find((p) => p.type === 'image/png');
    assert.ok(image && image.bytes.equals(PNG), 'the inline image is missing or changed');
    const cid = (image.headers['content-id'] || '').replace(/^<|>$/g, '');
    assert.ok(cid && htmlText.includes(`cid:${cid}`), `the HTML does not show the image by its Content-ID <${cid}>: ${htmlText}`);
    const file = parts.find((p) => p.filename === fileName);
    assert.ok(file, `no attachment named "${fileName}" (names: ${parts.map((p) => p.filename).join(', ')})`);
    assert.ok(file.bytes.equals(fileBytes), `the attachment's bytes differ (${file.bytes.length} B received, ${fileBytes.length} B sent)`);
  });

  step('"Reply all" addresses the sender in To and the other recipient in Cc', async () => {
    const row = await poll(async () => {
      const r = await browser.$(messageRow(replyAllSubject));
      if (await r.isExisting()) return r;
      await browser.$(tid('get-mail-button')).click();
      return null;
    }, { timeout: 60_000, interval: 3_000, message: `"${replyAllSubject}" did not appear in the INBOX` });
    await row.click();
    await (await waitFor(tid('reply-all-button'), { what: '"Reply all"' })).click();
    await waitFor(tid('composer'), { what: 'the composer with the reply' });
    assert.equal(await browser.$(tid('compose-subject')).getValue(), `Re: ${replyAllSubject}`);
    const to = await browser.$(tid('compose-to')).getValue();
    const cc = await (await waitFor(tid('compose-cc'), { what: 'Cc' })).getValue();
    assert.ok(to.includes(them.email), `To is "${to}", expected ${them.email}`);
    assert.ok(cc.includes(carol.email), `Cc is "${cc}", expected ${carol.email}`);
    assert.ok(!`${to} ${cc}`.includes(me.email), `the reply all is addressed to the user too: To "${to}", Cc "${cc}"`);
    assert.match(await app.bodyText(), /What do you both think\?/);
    await screenshot(browser, 'compose reply all');
    await browser.$(tid('compose-discard')).click();
    await waitGone(tid('composer'), { timeout: 10_000, what: 'the composer after Discard' });
  });

  step('"Forward as attachment" attaches the original message', async () => {
    await browser.$(tid('forward-menu-button')).click();
    await (await waitFor(`${tid('forward-menu')} [data-action="forward_as_attachment"]`, { what: 'the Forward menu' })).click();
    await waitFor(tid('composer'), { what: 'the composer with the forward' });
    assert.equal(await browser.$(tid('compose-subject')).getValue(), `Fwd: ${replyAllSubject}`);
    const chip = await waitFor(tid('compose-attachment'), { timeout: 10_000, what: 'the forwarded message as a chip' });
    assert.match(await innerText(chip), /\.eml/);
    await screenshot(browser, 'compose forward as attachment');
    await browser.$(tid('compose-discard')).click();
    await waitGone(tid('composer'), { timeout: 10_000, what: 'the composer after Discard' });
  });
});
