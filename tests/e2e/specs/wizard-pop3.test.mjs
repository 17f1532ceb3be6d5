// A POP3 account, end to end, in the real app window against the test servers' Dovecot POP3S:
// the guided set-up finds IMAP and POP3 through DNS SRV, chooses IMAP by default, the user picks
// POP3 and sees its options; the mailbox's messages are downloaded to the local Inbox; "Get mail"
// brings a new one; a local folder is made and a message moved into it; in the account settings
// "Downloads (POP3)" (and no "Offline & downloads"), "Leave messages on the server" is turned
// off; after the next "Get mail" the server's mailbox is empty (POP3 LIST through curl, TLS
// verified against the test CA) while Petrel still shows every message. The "Notifications"
// section saves its settings and shows them again when reopened.
//
// Run through tests/e2e/run.sh (or `make e2e`). It finds its own account among other specs'.

import assert from 'node:assert/strict';
import { before, describe } from 'node:test';
import {
  deliver, fatal, log, poll, pop3List, screenshot, serverEnv, tid, uniqueTag, visibleErrors,
} from '../helpers.mjs';
import { menuItem, messageRow as row, newUserWithMail, scenario } from '../story.mjs';

describe('POP3 account: set-up, Get mail, local folders, leave on server', { timeout: 10 * 60_000 }, () => {
  const tag = uniqueTag();
  let srv;
  let browser;
  let accountId;

  const me = { name: 'E2E POP3', password: `pw-pop3-${tag}` };
  const first = [1, 2, 3].map((n) => ({ subject: `POP3 waiting ${n} ${tag}`, messageId: `e2e-pop3-${n}-${tag}@petrel.test` }));
  const later = { subject: `POP3 later ${tag}`, messageId: `e2e-pop3-later-${tag}@petrel.test` };
  const folderName = `Kept ${tag}`;
  const ERRORS = ['error-banner', 'wizard-error', 'acct-error', 'folder-error', 'settings-error'];

  const { step, waitFor, waitGone, invoke, closeMenu, ...app } = scenario({ label: 'pop3', errors: ERRORS });

  const tree = () => `${tid('account-folders')}[data-account-id="${accountId}"]`;
  const folderItem = (sel) => `${tree()} ${tid('folder-item')}${sel}`;
  const accountRow = () => `${tid('account-row')}[data-account-id="${accountId}"]`;
  const text = async (id) => (await browser.$(tid(id)).getText()).replace(/\s+/g, ' ').trim();

  async function openAccountMenu() {
    // Below other specs' accounts the tree scrolls (its "…" buttons must stay clickable then).
    await browser.$(`${accountRow()} ${tid('account-menu-button')}`).click();
    await waitFor(tid('account-menu'), { timeout: 5_000, what: 'the account menu' });
  }

  before(async () => {
    srv = serverEnv();
    if (!process.env.PETREL_DNS_SERVER) throw new Error('PETREL_DNS_SERVER is not set: run through tests/e2e/run.sh');
    me.email = `e2e-pop3-${tag}@${srv.domain}`;
    log(`user: ${me.email}; POP3S on ${srv.host}:${srv.pop3sPort}`);
    const from = { name: 'E2E Postmaster', email: `postmaster-${tag}@${srv.domain}` };
    await newUserWithMail(srv, me, {
      from,
      messages: first.map((m) => ({ ...m, body: `${m.subject}: waiting on the POP3 server before the account is set up.\n` })),
      over: 'pop3',
    });
    browser = await app.start();
  });

  step('the set-up finds IMAP and POP3, chooses IMAP, and lets the user pick POP3', async () => {
    await app.openSetUp(tid('wizard-email'));

    // The manual form offers POP3 too, with its usual ports and the POP3 options.
    await browser.$(tid('manual-setup')).click();
    await waitFor(tid('account-form'), { what: 'the manual form' });
    await browser.$(tid('acct-name')).setValue(me.name);
    await browser.$(tid('acct-email')).setValue(me.email);
    await browser.$(tid('imap-protocol')).selectByAttribute('value', 'pop3');
    await poll(async () => (await browser.$(tid('imap-port')).getValue()) === '995',
      { timeout: 5_000, message: 'the port did not follow POP3 over SSL/TLS (995)' });
    assert.equal(await browser.$(tid('imap-host')).getAttribute('placeholder'), `pop.${srv.domain}`,
      'the host hint did not follow POP3');
    await browser.$(tid('imap-security')).selectByAttribute('value', 'starttls');
    await poll(async () => (await browser.$(tid('imap-port')).getValue()) === '110',
      { timeout: 5_000, message: 'the port did not follow POP3 with STARTTLS (110)' });
    await browser.$(tid('imap-security')).selectByAttribute('value', 'tls');
    await waitFor(tid('pop3-options'), { timeout: 5_000, what: 'the POP3 options in the manual form' });
    await screenshot(browser, 'pop3-manual-form');
    await browser.$(tid('guided-setup')).click();
    await waitFor(tid('wizard-email'), { what: 'the guided set-up again' });

    await browser.$(tid('wizard-name')).setValue(me.name);
    await browser.$(tid('wizard-email')).setValue(me.email);
    await browser.$(tid('wizard-password')).setValue(`not-${me.password}`);
    await browser.$(tid('wizard-continue')).click();

    await waitFor(tid('discovery-summary'), { timeout: 60_000, what: 'the summary of found settings' });
    await waitFor(tid('protocol-choice'), { timeout: 5_000, what: 'the choice between IMAP and POP3' });
    assert.equal(await browser.$(tid('protocol-imap')).isSelected(), true, 'IMAP is not chosen by default');
    assert.equal(await browser.$(tid('protocol-pop3')).isSelected(), false);
    assert.match(await text('protocol-choice'), /IMAP \(recommended\).*in sync on all your devices/);
    assert.match(await text('protocol-choice'), /POP3.*Downloads mail to this computer/);
    assert.match(await text('discovery-incoming'), new RegExp(`IMAP .*port ${srv.imapsPort}\\b`));
    assert.equal(await browser.$(tid('pop3-options')).isExisting(), false, 'POP3 options shown for IMAP');
    await screenshot(browser, 'pop3-wizard-choice-imap');

    await browser.$(tid('protocol-pop3')).click();
    await poll(async () => /POP3/.test(await text('discovery-incoming')),
      { timeout: 5_000, message: 'the incoming server did not switch to POP3' });
    const incoming = await text('discovery-incoming');
    log(`incoming: ${incoming}`);
    assert.match(incoming, new RegExp(`POP3 · ${srv.host} · port ${srv.pop3sPort} · SSL/TLS`));
    await waitFor(tid('pop3-options'), { timeout: 5_000, what: 'the POP3 options' });
    assert.equal(await browser.$(tid('pop3-leave')).isSelected(), true, '"Leave messages on the server" is not on by default');
    assert.equal(await browser.$(tid('pop3-delete-here')).isSelected(), true);
    assert.equal(await browser.$(tid('pop3-delete-after')).isSelected(), false);
    assert.equal(await browser.$(tid('pop3-days')).isEnabled(), false, 'the days field is on while "after N days" is off');
    await screenshot(browser, 'pop3-wizard-choice-pop3');
  });

  step('a wrong password is explained as for IMAP; with the right one the POP3 account is added and the mailbox downloaded', async () => {
    await app.testWithWrongPassword();
    assert.equal((await invoke('list_accounts')).some((a) => a.email === me.email), false, 'saved although the test failed');
    assert.equal(await browser.$(tid('protocol-pop3')).isSelected(), true, 'the choice of POP3 was lost');
    await browser.pause(800); // the explanation is scrolled into view smoothly
    await screenshot(browser, 'pop3-wrong-password');
    const password = await browser.$(tid('wizard-password'));
    await password.clearValue();
    await password.setValue(me.password);

    await browser.$(tid('wizard-test')).click();
    await waitFor(tid('wizard-done'), { timeout: 60_000, what: '"Done"' });
    const accounts = await invoke('list_accounts');
    const mine = accounts.filter((a) => a.email === me.email);
    assert.equal(mine.length, 1, `expected one account ${me.email}`);
    const [a] = mine;
    accountId = String(a.id);
    assert.equal(a.protocol, 'pop3');
    assert.deepEqual([a.incoming.host, a.incoming.port, a.incoming.security], [srv.host, srv.pop3sPort, 'tls']);
    assert.deepEqual(a.pop3, { leave_on_server: true, delete_after_days: null, delete_when_deleted_locally: true, check_every_minutes: 10 });

    await poll(async () => {
      const shown = await visibleErrors(browser, ['sync-error']);
      if (shown) throw fatal(`the first check failed: ${shown}`);
      return !(await browser.$(tid('wizard')).isExisting());
    }, { timeout: 60_000, interval: 250, message: 'the wizard did not close after the first check' });
    const inbox = await waitFor(folderItem('[data-role="inbox"]'), { what: 'the local Inbox' });
    await poll(async () => (await inbox.getAttribute('aria-current')) === 'true',
      { timeout: 10_000, message: 'the new account\'s Inbox is not the folder shown' });
    for (const m of first) await waitFor(row(m.subject), { timeout: 30_000, what: `the row "${m.subject}"` });
    // The local folders, and mail left on the server (the default).
    for (const role of ['drafts', 'sent', 'archive', 'trash']) await waitFor(folderItem(`[data-role="${role}"]`), { timeout: 5_000 });
    assert.equal((await pop3List(srv, me)).length, first.length, 'messages were deleted from the server although left there');
    await screenshot(browser, 'pop3-inbox');
  });

  step('"Get mail" brings a message that arrived later', async () => {
    await deliver(srv, {
      from: { name: 'E2E Postmaster', email: `postmaster-${tag}@${srv.domain}` },
      to: me,
      subject: later.subject,
      messageId: later.messageId,
      body: 'Delivered after the account was set up.\n',
    });
    await poll(async () => (await pop3List(srv, me)).length === first.length + 1,
      { timeout: 30_000, message: 'the later message did not reach the POP3 mailbox' });
    await browser.$(tid('get-mail-button')).click();
    await waitFor(row(later.subject), { timeout: 60_000, what: `the row "${later.subject}"` });
  });

  step('local folders: no subscriptions; a new folder, and a message moved into it', async () => {
    await browser.$(folderItem('[data-role="inbox"]')).click();
    await browser.$(`${tree()} ${tid('folder-menu-button')}[data-path="INBOX"]`).click();
    await waitFor(tid('folder-menu'), { timeout: 5_000, what: 'the Inbox menu' });
    for (const action of ['subscribe', 'unsubscribe', 'manage-subscriptions']) {
      assert.equal(await browser.$(menuItem('folder-menu', action)).isExisting(), false, `"${action}" is offered for a local folder`);
    }
    await closeMenu('folder-menu');

    await openAccountMenu();
    assert.equal(await browser.$(menuItem('account-menu', 'manage-subscriptions')).isExisting(), false,
      '"Subscribe to folders…" is offered for a POP3 account');
    assert.ok(await browser.$(menuItem('account-menu', 'get-mail')).isExisting(), 'no "Get mail" in the account menu');
    await screenshot(browser, 'pop3-account-menu');
    await browser.$(menuItem('account-menu', 'new-folder')).click();
    await waitFor(tid('folder-name-dialog'), { timeout: 5_000, what: 'the "New folder" dialog' });
    await browser.$(tid('folder-name-input')).setValue(folderName);
    await browser.$(tid('folder-name-submit')).click();
    await waitGone(tid('folder-name-dialog'), { what: 'the "New folder" dialog' });
    await waitFor(folderItem(`[data-path="${folderName}"]`), { what: `"${folderName}" in the folder tree` });

    // Open the first message, move it with "Move to…".
    const moved = first[0].subject;
    await browser.$(folderItem('[data-role="inbox"]')).click();
    await (await waitFor(row(moved), { what: `the row "${moved}"` })).click();
    await poll(async () => (await text('reader-subject')) === moved, { timeout: 15_000, message: 'the message did not open' });
    await browser.$(tid('move-button')).click();
    await waitFor(tid('move-menu'), { timeout: 5_000, what: 'the "Move to" menu' });
    await screenshot(browser, 'pop3-move-menu');
    const target = await poll(async () => {
      for (const item of await browser.$$(`${tid('move-menu')} [role="menuitem"]`)) {
        if ((await item.getText()).trim() === folderName) return item;
      }
      return null;
    }, { timeout: 5_000, message: `"${folderName}" is not in the "Move to" menu` });
    await target.click();
    await waitGone(row(moved), { what: `"${moved}" in the Inbox` });
    await browser.$(folderItem(`[data-path="${folderName}"]`)).click();
    await waitFor(row(moved), { timeout: 15_000, what: `"${moved}" in "${folderName}"` });
    await screenshot(browser, 'pop3-moved');
  });

  step('"Downloads (POP3)" in the account settings: leave on server turned off and saved', async () => {
    await openAccountMenu();
    await browser.$(menuItem('account-menu', 'settings')).click();
    await waitFor(tid('account-settings'), { timeout: 5_000, what: 'the account settings' });
    assert.match(await text('settings-incoming-server'), new RegExp(`${srv.host}:${srv.pop3sPort}`));
    assert.equal(await browser.$(tid('settings-nav-offline')).isExisting(), false, '"Offline & downloads" is shown for POP3');
    await browser.$(tid('settings-nav-pop3')).click();
    const minutes = await waitFor(tid('pop3-minutes'), { timeout: 5_000, what: 'the POP3 settings' });
    assert.equal(await minutes.getValue(), '10');
    assert.equal(await browser.$(tid('pop3-leave')).isSelected(), true);

    // A wrong number is explained, nothing saved.
    await minutes.setValue('0');
    await browser.$(tid('pop3-save')).click();
    const err = await waitFor(tid('pop3-minutes-error'), { timeout: 5_000, what: 'the minutes check', errors: [] });
    assert.match(await err.getText(), /at least 1 minute/);
    await screenshot(browser, 'pop3-settings-error');
    await minutes.setValue('10');

    await browser.$(tid('pop3-leave')).click();
    assert.equal(await browser.$(tid('pop3-delete-here')).isEnabled(), false, 'the sub-options are on without leaving mail');
    assert.match(await text('pop3-preview'), /deleted from the server as soon as it is safely stored/);
    await browser.$(tid('pop3-save')).click();
    await waitFor(tid('pop3-saved'), { timeout: 10_000, what: 'the "Saved" confirmation' });
    await screenshot(browser, 'pop3-settings-saved');
    const [a] = (await invoke('list_accounts')).filter((x) => String(x.id) === accountId);
    assert.equal(a.pop3.leave_on_server, false, 'the engine did not keep "leave on server" off');
    await browser.$(tid('settings-close')).click();
    await waitGone(tid('account-settings'), { what: 'the account settings' });
  });

  step('"Notifications" in the account settings: preview off, Inbox muted, close to tray on; saved and shown again', async () => {
    const open = async () => {
      await openAccountMenu();
      await browser.$(menuItem('account-menu', 'settings')).click();
      await waitFor(tid('account-settings'), { timeout: 5_000, what: 'the account settings' });
      await browser.$(tid('settings-nav-notifications')).click();
      await waitFor(tid('notify-enabled'), { timeout: 5_000, what: 'the notification settings' });
    };
    await open();
    const inbox = (await invoke('list_folders', { accountId: Number(accountId) })).find((f) => f.role === 'inbox');
    assert.equal(await browser.$(tid('notify-enabled')).isSelected(), true);
    assert.equal(await browser.$(tid('notify-preview')).isSelected(), true);
    assert.equal(await browser.$(tid(`notify-folder-${inbox.id}`)).isSelected(), true);
    await browser.$(tid('notify-preview')).click();
    await browser.$(tid(`notify-folder-${inbox.id}`)).click();
    await browser.$(tid('close-to-tray')).click();
    await browser.$(tid('notify-save')).click();
    await waitFor(tid('notify-saved'), { timeout: 10_000, what: 'the "Saved" confirmation' });
    await screenshot(browser, 'notification-settings-saved');
    const saved = await invoke('get_notification_settings', { accountId: Number(accountId) });
    assert.deepEqual(saved, { enabled: true, show_preview: false, sound: true, muted_folders: [inbox.id] });
    assert.deepEqual(await invoke('get_app_settings'), { close_to_tray: true });
    await browser.$(tid('settings-close')).click();
    await waitGone(tid('account-settings'), { what: 'the account settings' });

    // Opened again: read back from the engine.
    await open();
    assert.equal(await browser.$(tid('notify-preview')).isSelected(), false);
    assert.equal(await browser.$(tid(`notify-folder-${inbox.id}`)).isSelected(), false);
    assert.equal(await browser.$(tid('close-to-tray')).isSelected(), true);
    // Back to the defaults, so other steps and specs see an app that quits when closed.
    await browser.$(tid('close-to-tray')).click();
    await browser.$(tid('notify-save')).click();
    await waitFor(tid('notify-saved'), { timeout: 10_000, what: 'the "Saved" confirmation' });
    await browser.$(tid('settings-close')).click();
    await waitGone(tid('account-settings'), { what: 'the account settings' });
  });

  step('after "Get mail" the server is empty, and Petrel still shows every message', async () => {
    await browser.$(tid('get-mail-button')).click();
    await poll(async () => (await pop3List(srv, me)).length === 0,
      { timeout: 60_000, interval: 1000, message: 'the POP3 mailbox is not empty after "Get mail"' });
    log('the server\'s mailbox is empty');
    await browser.$(folderItem('[data-role="inbox"]')).click();
    for (const m of [...first.slice(1), later]) await waitFor(row(m.subject), { timeout: 15_000, what: `"${m.subject}" in the Inbox` });
    await browser.$(folderItem(`[data-path="${folderName}"]`)).click();
    await waitFor(row(first[0].subject), { timeout: 15_000, what: `"${first[0].subject}" in "${folderName}"` });
    await browser.$(folderItem('[data-role="inbox"]')).click();
    await waitFor(row(later.subject), { timeout: 15_000 });
    await screenshot(browser, 'pop3-after-emptied');
  });
});
