// Folder management and account settings, end to end, in the real app window against the real
// test servers: from the folder tree's menus, create a folder (a name outside ASCII, listed in
// modified UTF-7 on the server and shown decoded), rename it and delete it (the
// confirmation counts its messages), checking each step on the server over IMAP (curl, TLS
// verified against the test CA); then change the account's download policy in the settings
// screen and see it kept (the screen reopened, and the engine's own `get_body_policy`).
//
// Run through tests/e2e/run.sh (or `make e2e`). It runs after slice.test.mjs (the suite goes in
// file-name order and shares one data folder): that spec expects to set up the first account;
// this one finds its own account among others.

import assert from 'node:assert/strict';
import { before, describe } from 'node:test';
import { imapAppend, imapFolderNames, log, poll, screenshot, serverEnv, tid, uniqueTag } from '../helpers.mjs';
import { menuItem, messageRow, newUserWithMail, scenario } from '../story.mjs';

/** A short message to put into a folder over IMAP, as another mail program would. */
function folderMessage(user, subject) {
  return [`From: E2E <${user.email}>`, `To: ${user.email}`, `Subject: ${subject}`,
    `Date: ${new Date().toUTCString()}`, `Message-ID: <${subject.replace(/\W+/g, '-')}@petrel.test>`, '',
    'A message in a folder that is about to be deleted.', ''].join('\r\n');
}

describe('folder tree menus and account settings', { timeout: 10 * 60_000 }, () => {
  const tag = uniqueTag();
  let srv;
  let browser;
  let accountId;

  const me = { name: 'E2E Folders', password: `pw-folders-${tag}` };
  // Created with letters outside ASCII: the server lists it in IMAP's modified UTF-7, the tree
  // shows it decoded.
  const created = `Entwürfe ${tag}`;
  const createdOnServer = `Entw&APw-rfe ${tag}`;
  const renamed = `Archive ${tag} old`;

  const { step, waitFor, waitGone, invoke, ...app } = scenario({
    label: 'folders',
    errors: ['error-banner', 'acct-error', 'folder-error', 'settings-error'],
    waitErrors: ['acct-error', 'folder-error', 'settings-error'],
  });

  /** This account's part of the folder tree (other specs may have left accounts). */
  const tree = () => `${tid('account-folders')}[data-account-id="${accountId}"]`;
  const folderItem = (path) => `${tree()} ${tid('folder-item')}[data-path="${path}"]`;
  const folderMenuButton = (path) => `${tree()} ${tid('folder-menu-button')}[data-path="${path}"]`;
  const accountRow = () => `${tid('account-row')}[data-account-id="${accountId}"]`;

  /** Opens a folder's menu with its "…" button (the row is selected first, as a person would). */
  async function openFolderMenu(path) {
    await browser.$(folderItem(path)).click();
    await browser.$(folderMenuButton(path)).click();
    await waitFor(tid('folder-menu'), { timeout: 5_000, what: `the menu of "${path}"` });
  }

  async function openAccountMenu() {
    await browser.$(`${accountRow()} ${tid('account-menu-button')}`).click();
    await waitFor(tid('account-menu'), { timeout: 5_000, what: 'the account menu' });
  }

  before(async () => {
    srv = serverEnv();
    me.email = `e2e-folders-${tag}@${srv.domain}`;
    log(`user: ${me.email}`);
    await newUserWithMail(srv, me);
    browser = await app.start();
  });

  step('sets up the account through the manual form', async () => {
    await app.setUpManually(srv, me);
    accountId = await app.accountId(me);
    await waitFor(`${tree()} ${tid('folder-item')}[data-role="inbox"]`, { what: 'the INBOX in the folder tree' });
    await waitFor(`${tree()} ${tid('folder-item')}[data-role="trash"]`, { what: 'the Trash in the folder tree' });
  });

  step('special folders cannot be renamed or deleted', async () => {
    await openFolderMenu('INBOX');
    await screenshot(browser, 'folders-menu-inbox');
    for (const action of ['rename', 'delete']) {
      const item = await browser.$(menuItem('folder-menu', action));
      assert.equal(await item.getAttribute('aria-disabled'), 'true', `"${action}" is choosable on the INBOX`);
    }
    // Escape closes the menu.
    await app.closeMenu('folder-menu', 'the folder menu');
  });

  step('creates a folder from the account menu (checked over IMAP)', async () => {
    await openAccountMenu();
    await screenshot(browser, 'folders-account-menu');
    await browser.$(menuItem('account-menu', 'new-folder')).click();
    await waitFor(tid('folder-name-dialog'), { timeout: 5_000, what: 'the "New folder" dialog' });

    // A name with the hierarchy delimiter is explained in the dialog (by the name check, which
    // knows the delimiter the server listed, or else in the engine's words).
    await browser.$(tid('folder-name-input')).setValue('a/b');
    await browser.$(tid('folder-name-submit')).click();
    const refusal = await poll(async () => {
      for (const id of ['folder-name-problem', 'folder-error']) {
        const el = await browser.$(tid(id));
        if (await el.isExisting()) return el.getText();
      }
      return null;
    }, { timeout: 30_000, interval: 250, message: 'no explanation for the name "a/b"' });
    assert.match(refusal, /cannot contain “\/”/, `the dialog says "${refusal}"`);
    await screenshot(browser, 'folders-new-dialog-error');

    await browser.$(tid('folder-name-input')).setValue(created);
    await screenshot(browser, 'folders-new-dialog');
    await browser.$(tid('folder-name-submit')).click();
    await waitGone(tid('folder-name-dialog'), { what: 'the "New folder" dialog' });
    const item = await waitFor(folderItem(createdOnServer), { what: `"${created}" in the folder tree` });
    // Decoded for people (the row's tooltip is its place in the tree, by decoded names).
    assert.equal(await item.getAttribute('title'), created, 'the tree shows the decoded name');
    await poll(async () => (await imapFolderNames(srv, me)).includes(createdOnServer),
      { timeout: 30_000, interval: 1000, message: `"${createdOnServer}" (modified UTF-7) is not on the server` });
    await screenshot(browser, 'folders-created');
  });

  step('renames it from its menu (checked over IMAP)', async () => {
    await openFolderMenu(createdOnServer);
    await screenshot(browser, 'folders-menu');
    await browser.$(menuItem('folder-menu', 'rename')).click();
    await waitFor(tid('folder-name-dialog'), { timeout: 5_000, what: 'the "Rename folder" dialog' });
    assert.equal(await browser.$(tid('folder-name-input')).getValue(), created, 'the rename field does not start from the name');
    await browser.$(tid('folder-name-input')).setValue(renamed);
    await browser.$(tid('folder-name-submit')).click();
    await waitGone(tid('folder-name-dialog'), { what: 'the "Rename folder" dialog' });
    await waitFor(folderItem(renamed), { what: `"${renamed}" in the folder tree` });
    await waitGone(folderItem(createdOnServer), { what: `"${created}" in the folder tree` });
    await poll(async () => {
      const names = await imapFolderNames(srv, me);
      return names.includes(renamed) && !names.includes(createdOnServer);
    }, { timeout: 30_000, interval: 1000, message: `the server does not show "${created}" renamed to "${renamed}"` });
    // The renamed folder is still the one shown.
    assert.equal(await browser.$(folderItem(renamed)).getAttribute('aria-current'), 'true');
  });

  step('deletes it after a confirmation that counts its messages (checked over IMAP)', async () => {
    const subject = `In the doomed folder ${tag}`;
    await imapAppend(srv, me, renamed, folderMessage(me, subject));
    // Let the app see it: "Get mail", then the message in the (shown) folder's list.
    await browser.$(tid('get-mail-button')).click();
    await waitFor(messageRow(subject),
      { timeout: 60_000, what: `the message "${subject}" in "${renamed}"` });

    await openFolderMenu(renamed);
    await browser.$(menuItem('folder-menu', 'delete')).click();
    await waitFor(tid('delete-folder-dialog'), { timeout: 5_000, what: 'the delete confirmation' });
    const text = await browser.$(tid('delete-folder-text')).getText();
    assert.match(text, /the 1 message in it will be deleted from the server/, `the confirmation says "${text}"`);
    assert.match(text, /cannot be undone/, `the confirmation says "${text}"`);
    await screenshot(browser, 'folders-delete-confirm');
    // Nothing happens before the confirmation.
    assert.ok((await imapFolderNames(srv, me)).includes(renamed));
    await browser.$(tid('delete-folder-confirm')).click();
    await waitGone(tid('delete-folder-dialog'), { what: 'the delete confirmation' });
    await waitGone(folderItem(renamed), { what: `"${renamed}" in the folder tree` });
    await poll(async () => !(await imapFolderNames(srv, me)).includes(renamed),
      { timeout: 30_000, interval: 1000, message: `"${renamed}" is still on the server` });
    // The shown folder was deleted: the app went back to the INBOX.
    await waitFor(`${tree()} ${tid('folder-item')}[data-role="inbox"][aria-current="true"]`,
      { timeout: 10_000, what: 'the INBOX selected after the delete' });
  });

  step('an unsubscribed folder is hidden, and "Subscribe to folders…" brings it back (checked over IMAP)', async () => {
    const hidden = `Hidden ${tag}`;
    await invoke('create_folder', { accountId: Number(accountId), parentId: null, name: hidden });
    await waitFor(folderItem(hidden), { what: `"${hidden}" in the folder tree` });

    await openFolderMenu(hidden);
    await browser.$(menuItem('folder-menu', 'unsubscribe')).click();
    await waitGone(folderItem(hidden), { what: `the unsubscribed "${hidden}" in the folder tree` });
    await poll(async () => !(await imapFolderNames(srv, me, 'LSUB')).includes(hidden),
      { timeout: 30_000, interval: 1000, message: `"${hidden}" is still subscribed on the server` });
    assert.ok((await imapFolderNames(srv, me)).includes(hidden), `unsubscribing deleted "${hidden}" on the server`);

    await openAccountMenu();
    await browser.$(menuItem('account-menu', 'manage-subscriptions')).click();
    await waitFor(tid('subscriptions-dialog'), { timeout: 5_000, what: 'the "Subscribe to folders" dialog' });
    const box = await browser.$(`${tid('subscription-checkbox')}[data-path="${hidden}"]`);
    assert.equal(await box.isSelected(), false, `"${hidden}" is ticked in the subscriptions dialog`);
    await box.click();
    await screenshot(browser, 'folders-subscriptions');
    await browser.$(tid('subscriptions-save')).click();
    await waitGone(tid('subscriptions-dialog'), { what: 'the "Subscribe to folders" dialog' });
    await waitFor(folderItem(hidden), { what: `"${hidden}" back in the folder tree` });
    await poll(async () => (await imapFolderNames(srv, me, 'LSUB')).includes(hidden),
      { timeout: 30_000, interval: 1000, message: `"${hidden}" is not subscribed on the server` });
  });

  step('changes the download policy in the account settings, and it is kept', async () => {
    await openAccountMenu();
    await browser.$(menuItem('account-menu', 'settings')).click();
    await waitFor(tid('account-settings'), { timeout: 5_000, what: 'the account settings' });
    const email = await browser.$(tid('settings-account-email')).getText();
    assert.equal(email.trim(), me.email);
    const incoming = await browser.$(tid('settings-incoming-server')).getText();
    assert.ok(incoming.includes(`${srv.host}:${srv.imapsPort}`), `the incoming server shows "${incoming}"`);
    await screenshot(browser, 'settings-account');

    await browser.$(tid('settings-nav-offline')).click();
    const days = await waitFor(tid('prefetch-days'), { timeout: 10_000, what: 'the download settings' });
    assert.equal(await days.getValue(), '30', 'the default window is not 30 days');
    assert.equal(await browser.$(tid('max-prefetch-mb')).getValue(), '5', 'the default size limit is not 5 MB');

    // A wrong size is explained and nothing is saved.
    await browser.$(tid('max-prefetch-mb')).setValue('lots');
    await browser.$(tid('settings-save')).click();
    const err = await waitFor(tid('max-prefetch-mb-error'), { timeout: 5_000, what: 'the size check' });
    assert.match(await err.getText(), /number of MB/);
    await screenshot(browser, 'settings-offline-error');

    await browser.$(tid('keep-all-offline')).click();
    assert.equal(await days.isEnabled(), false, 'the days field is still on while keeping all mail offline');
    await browser.$(tid('max-prefetch-mb')).setValue('12');
    await browser.$(tid('settings-save')).click();
    await waitFor(tid('settings-saved'), { timeout: 10_000, what: 'the "Saved" confirmation' });
    await screenshot(browser, 'settings-offline-saved');
    await browser.$(tid('settings-close')).click();
    await waitGone(tid('account-settings'), { what: 'the account settings' });

    // Opened again (from the toolbar this time), it shows what was saved.
    await browser.$(`${tree()} ${tid('folder-item')}[data-role="inbox"]`).click();
    await browser.$(tid('account-settings-button')).click();
    await waitFor(tid('account-settings'), { timeout: 5_000, what: 'the account settings, again' });
    await browser.$(tid('settings-nav-offline')).click();
    await waitFor(tid('keep-all-offline'), { timeout: 10_000 });
    assert.equal(await browser.$(tid('keep-all-offline')).isSelected(), true, '"Keep all mail offline" was not kept');
    assert.equal(await browser.$(tid('max-prefetch-mb')).getValue(), '12', 'the size limit was not kept');
    assert.equal(await browser.$(tid('prefetch-days')).isEnabled(), false);

    // And the engine has it.
    const policy = await invoke('get_body_policy', { accountId: Number(accountId) });
    assert.deepEqual(policy, { keep_all_offline: true, prefetch_days: 30, max_prefetch_bytes: 12 * 1024 * 1024 });
    await browser.$(tid('settings-close')).click();
    await waitGone(tid('account-settings'), { what: 'the account settings' });
  });
});
