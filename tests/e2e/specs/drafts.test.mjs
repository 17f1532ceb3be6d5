// Drafts, end to end, in the real app window against the real test servers: a message is written
// and the composer closed without sending; the draft is saved and uploaded to the Drafts folder
// (checked over IMAP); opened from the Drafts folder with "Edit draft", the composer has the same
// recipient, subject and text.
//
// Run through tests/e2e/run.sh (or `make e2e`); it finds its own account among others.

import assert from 'node:assert/strict';
import { before, describe } from 'node:test';
import { imapSearchSubject, log, poll, screenshot, serverEnv, tid, uniqueTag } from '../helpers.mjs';
import { messageRow, newUserWithMail, scenario } from '../story.mjs';

describe('drafts', { timeout: 10 * 60_000 }, () => {
  const tag = uniqueTag();
  const subject = `Unfinished ${tag}`;
  const text = `Half a thought ${tag}`;
  let srv;
  let browser;
  let accountId;
  const me = { name: 'E2E Drafts', password: `pw-drafts-${tag}` };
  const to = `someone-${tag}@example.org`;
  const { step, waitFor, waitGone, ...app } = scenario({ label: 'drafts' });

  const tree = () => `${tid('account-folders')}[data-account-id="${accountId}"]`;

  before(async () => {
    srv = serverEnv();
    me.email = `e2e-drafts-${tag}@${srv.domain}`;
    log(`user: ${me.email}`);
    await newUserWithMail(srv, me);
    browser = await app.start();
  });

  step('sets up the account through the manual form', async () => {
    await app.setUpManually(srv, me);
    accountId = await app.accountId(me);
    const inbox = await waitFor(`${tree()} ${tid('folder-item')}[data-role="inbox"]`, { what: 'the INBOX in the folder tree' });
    await inbox.click();
    await waitFor(`${tree()} ${tid('folder-item')}[data-role="drafts"]`, { what: 'Drafts in the folder tree' });
  });

  step('writes, pauses ("Draft saved"), closes: the draft reaches the Drafts folder (over IMAP)', async () => {
    await browser.$(tid('compose-button')).click();
    await waitFor(tid('composer'), { what: 'the composer' });
    await browser.$(tid('compose-to')).setValue(to);
    await browser.$(tid('compose-subject')).setValue(subject);
    await app.typeBody(text);
    await waitFor(`${tid('draft-state')}[data-state="saved"]`, { timeout: 15_000, what: '"Draft saved" after a pause' });
    await screenshot(browser, 'drafts saved');
    await app.typeBody(' more');
    await browser.$(tid('compose-close')).click();
    await waitGone(tid('composer'), { timeout: 10_000, what: 'the composer after Close' });
    await poll(async () => (await imapSearchSubject(srv, me, 'Drafts', subject)).length === 1,
      { timeout: 60_000, message: `"${subject}" is not (once) in ${me.email}'s Drafts` });
  });

  step('reopened from the Drafts folder, the composer has its fields', async () => {
    await browser.$(`${tree()} ${tid('folder-item')}[data-role="drafts"]`).click();
    const row = await poll(async () => {
      const r = await browser.$(messageRow(subject));
      if (await r.isExisting()) return r;
      await browser.$(tid('get-mail-button')).click();
      return null;
    }, { timeout: 60_000, interval: 3_000, message: `the draft "${subject}" did not appear in Drafts` });
    await row.click();
    await (await waitFor(tid('edit-draft-button'), { what: '"Edit draft"' })).click();
    await waitFor(tid('composer'), { what: 'the composer with the draft' });
    assert.equal(await browser.$(tid('compose-subject')).getValue(), subject);
    assert.equal((await app.bodyText()).trim(), `${text} more`);
    assert.ok((await browser.$(tid('compose-to')).getValue()).includes(to));
    await screenshot(browser, 'drafts reopened');
    await browser.$(tid('compose-discard')).click();
    await waitGone(tid('composer'), { timeout: 10_000, what: 'the composer after Discard' });
  });
});
