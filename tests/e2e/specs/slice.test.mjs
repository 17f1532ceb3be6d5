// The first vertical slice, end to end, in the real app window against the real test servers:
// set up an account through the manual form, see the INBOX and a freshly delivered message, read it,
// reply, and check over IMAP (TLS verified against the test CA) that the reply arrived; then flag
// the message and delete it from the reader's toolbar and check on the server that the flag is set
// and the message moved from INBOX to Trash.
//
// Run through tests/e2e/run.sh (or `make e2e`), which starts Xvfb, a private D-Bus session with a
// keyring, tauri-driver, and the mail servers when they are not running.

import assert from 'node:assert/strict';
import { before, describe } from 'node:test';
import {
  fatal, imapCommand, imapFetch, imapSearchSubject, log, parseMessage, poll, screenshot, serverEnv, tid, uniqueTag,
  visibleErrors,
} from '../helpers.mjs';
import { messageRow, newUserWithMail, scenario } from '../story.mjs';

/** UIDs of the messages in `mailbox` not marked \Deleted whose Subject contains `subject`. */
const liveUids = (srv, user, mailbox, subject) => imapSearchSubject(srv, user, mailbox, subject, { undeleted: true });

/** The flags of message `uid` in `mailbox`, e.g. ['\\Seen', '\\Flagged']. */
async function imapFlags(srv, user, mailbox, uid) {
  const out = await imapCommand(srv, user, mailbox, `UID FETCH ${uid} FLAGS`);
  const m = out.match(/FLAGS \(([^)]*)\)/);
  if (!m) throw new Error(`no FLAGS for UID ${uid} in ${mailbox}: ${out.trim()}`);
  return m[1].split(/\s+/).filter(Boolean);
}

describe('first slice: account set-up, read, reply', { timeout: 10 * 60_000 }, () => {
  const tag = uniqueTag();
  let srv;
  let browser;
  let mainWindow;
  /** This account's part of the folder tree. */
  let tree;

  // The app's account, and a correspondent who writes to it and gets the reply.
  const me = { name: 'E2E Reader', password: `pw-reader-${tag}` };
  const them = { name: 'E2E Sender', password: `pw-sender-${tag}` };
  const original = {
    subject: `Slice check ${tag}`,
    token: `body-token-${tag}`,
    messageId: `e2e-${tag}@petrel.test`,
  };
  const replyText = `Reply typed by the end-to-end test ${tag}`;
  const rowXPath = messageRow(original.subject);
  // Errors in the set-up form and the composer end a wait at once.
  const { step, waitFor, ...app } = scenario({ waitErrors: ['acct-error', 'compose-error'] });

  before(async () => {
    srv = serverEnv();
    me.email = `e2e-reader-${tag}@${srv.domain}`;
    them.email = `e2e-sender-${tag}@${srv.domain}`;
    log(`users: ${me.email}, ${them.email}`);
    await newUserWithMail(srv, them);
    await newUserWithMail(srv, me, {
      from: them,
      messages: [{ ...original, body: `Hello from the end-to-end test.\n${original.token}\n` }],
    });

    browser = await app.start();
    mainWindow = await browser.getWindowHandle();
  });

  step('sets up the account through the manual form', async () => {
    await app.setUpManually(srv, me);
    // Other specs' accounts may come first in the tree (one data folder): only this one's folders.
    tree = `${tid('account-folders')}[data-account-id="${await app.accountId(me)}"]`;
    await waitFor(`${tree} ${tid('folder-item')}[data-role="inbox"]`, { what: 'the INBOX in the folder list' });
  });

  step('lists the INBOX and shows the new message', async () => {
    await browser.$(`${tree} ${tid('folder-item')}[data-role="inbox"]`).click();
    await waitFor(tid('message-list'));
    try {
      await waitFor(rowXPath, { timeout: 30_000, what: `the row "${original.subject}"` });
    } catch (err) {
      // Not there yet: ask for mail once, as a person would, then wait again.
      if (err.fatal || !(await browser.$(tid('get-mail-button')).isExisting())) throw err;
      log('message not listed yet: pressing "get mail"');
      await browser.$(tid('get-mail-button')).click();
      await waitFor(rowXPath, { timeout: 30_000, what: `the row "${original.subject}"` });
    }
  });

  step('opens the message in the reader', async () => {
    await browser.$(rowXPath).click();
    await waitFor(tid('reader'));
    await poll(async () => (await browser.$(tid('reader-subject')).getText()).trim() === original.subject,
      { timeout: 30_000, message: `the reader does not show the subject "${original.subject}"` });
    await poll(async () => (await browser.$(tid('reader-body')).getText()).includes(original.token),
      { timeout: 30_000, message: `the reader's body does not show "${original.token}"` });
    const from = await browser.$(tid('reader-from')).getText();
    assert.ok(from.includes(them.email) || from.includes(them.name),
      `reader-from shows "${from}", expected the sender ${them.name} <${them.email}>`);
    await screenshot(browser, 'main-window');
  });

  step('replies from the composer', async () => {
    await browser.$(tid('reply-button')).click();

    // The composer is either part of the main window or a window of its own.
    const composer = await poll(async () => {
      if (await browser.$(tid('composer')).isExisting()) return browser.$(tid('composer'));
      for (const handle of await browser.getWindowHandles()) {
        if (handle === mainWindow) continue;
        await browser.switchToWindow(handle);
        if (await browser.$(tid('composer')).isExisting()) return browser.$(tid('composer'));
      }
      await browser.switchToWindow(mainWindow);
      return null;
    }, { timeout: 30_000, message: 'the composer did not open after "reply"' });
    await composer.waitForDisplayed({ timeout: 10_000 });

    const expectedSubject = `Re: ${original.subject}`;
    await poll(async () => (await browser.$(tid('compose-subject')).getValue()) === expectedSubject,
      { timeout: 10_000, message: `the reply's subject is not "${expectedSubject}"` });
    const to = await browser.$(tid('compose-to')).getValue();
    assert.ok(to.includes(them.email), `compose-to is "${to}", expected it to contain ${them.email}`);

    // WebDriver's "send keys" types at the end of the body (below the quote). Typing at the caret
    // with browser.keys() does not reach the window under Xvfb without a window manager.
    await app.typeBody(replyText);
    assert.ok((await app.bodyText()).includes(replyText), 'the typed text is not in the body');
    await browser.$(tid('compose-send')).click();

    // Sent (or queued) without an error: the composer closes, or at least shows no error.
    const closed = await poll(async () => {
      const errors = await visibleErrors(browser, ['compose-error']);
      if (errors) throw fatal(`sending failed: ${errors}`);
      return !(await browser.$(tid('composer')).isExisting());
    }, { timeout: 30_000, interval: 250 }).catch((e) => {
      if (e.fatal) throw e;
      return false;
    });
    if (!closed) log('the composer is still open 30 s after "send"; checking the server anyway');
    const handles = await browser.getWindowHandles().catch(() => [mainWindow]);
    if (handles.includes(mainWindow)) await browser.switchToWindow(mainWindow);
  });

  step('the reply reaches the sender (checked over IMAP)', async () => {
    const subject = `Re: ${original.subject}`;
    const uids = await poll(async () => {
      const found = await imapSearchSubject(srv, them, 'INBOX', subject);
      return found.length ? found : null;
    }, { timeout: 60_000, interval: 1000, message: `no "${subject}" in ${them.email}'s INBOX` });
    assert.equal(uids.length, 1, `expected one reply, found ${uids.length}`);

    const { headers, decoded } = parseMessage(await imapFetch(srv, them, 'INBOX', uids[0]));
    assert.equal(headers.subject, subject);
    assert.ok((headers.from || '').includes(me.email), `From is "${headers.from}", expected ${me.email}`);
    assert.ok((headers['in-reply-to'] || '').includes(original.messageId),
      `In-Reply-To is "${headers['in-reply-to']}", expected <${original.messageId}>`);
    assert.ok(decoded.includes(replyText), `the reply's body lacks the typed text "${replyText}"`);
  });

  step('flags the open message (checked over IMAP)', async () => {
    await poll(async () => (await browser.$(tid('reader-subject')).getText()).trim() === original.subject,
      { timeout: 10_000, message: `the reader no longer shows "${original.subject}"` });
    await browser.$(tid('toggle-flag-button')).click();
    // At once in the window: the button is pressed and the list row shows the flag.
    await poll(async () => (await browser.$(tid('toggle-flag-button')).getAttribute('aria-pressed')) === 'true',
      { timeout: 5_000, message: 'the flag button is not pressed after flagging' });
    await waitFor(`${rowXPath}//*[contains(@class, "flagged")]`,
      { timeout: 5_000, what: 'the flag mark in the message row' });
    await screenshot(browser, 'reader-toolbar');

    const flags = await poll(async () => {
      const uids = await liveUids(srv, me, 'INBOX', original.subject);
      if (uids.length !== 1) return null;
      const f = await imapFlags(srv, me, 'INBOX', uids[0]);
      return f.includes('\\Flagged') ? f : null;
    }, { timeout: 30_000, interval: 1000, message: `"${original.subject}" is not \\Flagged in the server's INBOX` });
    log(`server flags: ${flags.join(' ')}`);
  });

  step('deletes the open message: it moves to Trash on the server', async () => {
    await browser.$(tid('delete-button')).click();
    // Gone from the list (it was the only message: nothing is selected afterwards).
    await poll(async () => !(await browser.$(rowXPath).isExisting()),
      { timeout: 15_000, message: `the row "${original.subject}" is still listed after "delete"` });
    const errors = await visibleErrors(browser);
    assert.equal(errors, '', `the app shows an error after "delete": ${errors}`);

    const trashUids = await poll(async () => {
      const inInbox = await liveUids(srv, me, 'INBOX', original.subject);
      const inTrash = await liveUids(srv, me, 'Trash', original.subject);
      return inInbox.length === 0 && inTrash.length === 1 ? inTrash : null;
    }, { timeout: 30_000, interval: 1000, message: `"${original.subject}" did not move from INBOX to Trash on the server` });
    const flags = await imapFlags(srv, me, 'Trash', trashUids[0]);
    assert.ok(flags.includes('\\Flagged'), `the message in Trash has flags ${flags.join(' ')}, expected \\Flagged`);
  });

  step('in the Trash, "Delete for ever" asks first, then removes it from the server', async () => {
    await browser.$(`${tree} ${tid('folder-item')}[data-role="trash"]`).click();
    await waitFor(rowXPath, { timeout: 30_000, what: `the row "${original.subject}" in the Trash` });
    await browser.$(rowXPath).click();
    await poll(async () => (await browser.$(tid('reader-subject')).getText()).trim() === original.subject,
      { timeout: 30_000, message: `the reader does not show "${original.subject}" from the Trash` });
    // Its name: in aria-label (a narrow reader shows the icon only).
    const label = (await browser.$(tid('delete-button')).getAttribute('aria-label')).trim();
    assert.equal(label, 'Delete for ever', `the delete button in the Trash says "${label}"`);
    await browser.$(tid('delete-button')).click();
    await waitFor(tid('confirm-delete'), { timeout: 5_000, what: 'the "delete for ever" confirmation' });
    await screenshot(browser, 'confirm-delete');
    // Nothing happens before the confirmation.
    assert.equal((await liveUids(srv, me, 'Trash', original.subject)).length, 1);
    await browser.$(tid('confirm-delete-button')).click();
    await poll(async () => !(await browser.$(rowXPath).isExisting()),
      { timeout: 15_000, message: `the row "${original.subject}" is still in the Trash after "Delete for ever"` });
    await poll(async () => (await liveUids(srv, me, 'Trash', original.subject)).length === 0,
      { timeout: 30_000, interval: 1000, message: `"${original.subject}" is still in the server's Trash` });
  });
});
