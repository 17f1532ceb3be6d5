// Undo send, end to end, in the real app window against the real test servers: a new message is
// sent, the composer closes at once and "Sending … Undo" shows; Undo brings the message back into
// the composer with its text (nothing reaches the recipient); sent again, it arrives in the
// recipient's INBOX (checked over IMAP) once the undo delay is over. A message to a recipient the
// server refuses shows "Not sent: <reason>", and the account's Outbox lists it with that reason
// until it is deleted.
//
// Run through tests/e2e/run.sh (or `make e2e`); it finds its own account among others.

import assert from 'node:assert/strict';
import { before, describe } from 'node:test';
import { addUser, imapSearchSubject, log, poll, screenshot, serverEnv, tid, uniqueTag } from '../helpers.mjs';
import { newUserWithMail, scenario } from '../story.mjs';

describe('undo send', { timeout: 10 * 60_000 }, () => {
  const tag = uniqueTag();
  const subject = `Undo me ${tag}`;
  const text = `Written before the undo ${tag}.`;
  let srv;
  let browser;
  let accountId;
  const me = { name: 'E2E Undo', password: `pw-undo-${tag}` };
  const them = { name: 'E2E Undo Recipient', password: `pw-undo-to-${tag}` };
  const { step, waitFor, waitGone, ...app } = scenario({ label: 'undo-send' });

  const tree = () => `${tid('account-folders')}[data-account-id="${accountId}"]`;

  before(async () => {
    srv = serverEnv();
    me.email = `e2e-undo-${tag}@${srv.domain}`;
    them.email = `e2e-undo-to-${tag}@${srv.domain}`;
    log(`users: ${me.email} → ${them.email}`);
    await newUserWithMail(srv, me);
    await addUser(them.email, them.password);
    browser = await app.start();
  });

  step('sets up the account through the manual form', async () => {
    await app.setUpManually(srv, me);
    accountId = await app.accountId(me);
    const inbox = await waitFor(`${tree()} ${tid('folder-item')}[data-role="inbox"]`, { what: 'the INBOX in the folder tree' });
    await inbox.click();
  });

  step('writes a message and sends it: the composer closes and "Sending … Undo" shows', async () => {
    await browser.$(tid('compose-button')).click();
    await waitFor(tid('composer'), { what: 'the composer' });
    await browser.$(tid('compose-to')).setValue(them.email);
    await browser.$(tid('compose-subject')).setValue(subject);
    await app.typeBody(text);
    await browser.$(tid('compose-send')).click();
    const toast = await waitFor(`${tid('send-toast')}[data-kind="sending"]`, { timeout: 10_000, what: 'the "Sending" toast' });
    assert.ok(!(await browser.$(tid('composer')).isExisting()), 'the composer is still open after Send');
    assert.equal(await toast.$(tid('send-toast-text')).getText(), `Sending “${subject}”…`);
    await screenshot(browser, 'undo-send toast');
  });

  step('Undo brings the message back into the composer with its text', async () => {
    await browser.$(tid('send-toast-undo')).click();
    await waitFor(tid('composer'), { timeout: 10_000, what: 'the composer after Undo' });
    assert.equal((await app.bodyText()).trim(), text);
    assert.equal(await browser.$(tid('compose-subject')).getValue(), subject);
    assert.ok((await browser.$(tid('compose-to')).getValue()).includes(them.email));
    await waitGone(tid('send-toast'), { timeout: 5_000, what: 'the toast after Undo' });
    await screenshot(browser, 'undo-send composer back');
    // Well past the undo delay: nothing went out.
    await new Promise((r) => setTimeout(r, 7_000));
    assert.deepEqual(await imapSearchSubject(srv, them, 'INBOX', subject), [], 'the message arrived despite Undo');
  });

  step('sent again, it reaches the recipient (checked over IMAP)', async () => {
    await browser.$(tid('compose-send')).click();
    await waitFor(`${tid('send-toast')}[data-kind="sending"]`, { timeout: 10_000, what: 'the "Sending" toast' });
    await waitGone(tid('send-toast'), { timeout: 20_000, what: 'the "Sending" toast after the undo delay' });
    await poll(async () => (await imapSearchSubject(srv, them, 'INBOX', subject)).length > 0,
      { timeout: 60_000, message: `"${subject}" did not reach ${them.email}'s INBOX` });
    await screenshot(browser, 'undo-send sent');
  });

  step('a refused recipient: "Not sent", the Outbox with the reason, Delete', async () => {
    // Postfix refuses unknown users of its own domain (reject_unlisted_recipient) with 550.
    const nobody = `nobody-${tag}@${srv.domain}`;
    const refused = `Refused ${tag}`;
    await browser.$(tid('compose-button')).click();
    await waitFor(tid('composer'), { what: 'the composer' });
    await browser.$(tid('compose-to')).setValue(nobody);
    await browser.$(tid('compose-subject')).setValue(refused);
    await app.typeBody('Hello?');
    await browser.$(tid('compose-send')).click();
    // The refusal also shows as the account's error banner: not a failure of this test.
    const toast = await waitFor(`${tid('send-toast')}[data-kind="failed"]`, { timeout: 60_000, what: 'the "Not sent" toast', errors: [] });
    assert.match(await toast.$(tid('send-toast-text')).getText(), /^Not sent: .*refused/);
    await screenshot(browser, 'undo-send not sent');
    await toast.$(tid('send-toast-outbox')).click();
    const row = await waitFor(`${tid('outbox-row')}[data-state="failed"]`, { what: 'the failed message in the Outbox', errors: [] });
    assert.match(await row.$(tid('outbox-reason')).getText(), /Recipient address rejected/);
    assert.ok(await browser.$(`${tid('outbox-item')}[data-account-id="${accountId}"]`).isExisting(), 'no Outbox in the folder tree');
    await screenshot(browser, 'undo-send outbox');
    await row.$(tid('outbox-delete')).click();
    await (await waitFor(tid('confirm-outbox-delete-button'), { what: 'the confirmation', errors: [] })).click();
    await waitGone(`${tid('outbox-item')}[data-account-id="${accountId}"]`, { timeout: 20_000, what: 'the Outbox entry once empty' });
    assert.ok(!(await browser.$(tid('outbox-view')).isExisting()), 'the Outbox view stays after it emptied');
  });
});
