// The parts every end-to-end spec repeats, so that a spec reads as the story of what the user
// does: a fresh user with a filled mailbox, the scenario's steps (skipped after a failure, with
// artifacts saved), waiting for what the window shows, the app's own commands, and the manual
// account form.

import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import {
  addUser, assertUiEmbedded, deliver, fatal, imapSearchSubject, log, poll, pop3List, saveFailureArtifacts,
  startApp, tid, visibleErrors,
} from './helpers.mjs';

export const STEP_TIMEOUT = 150_000;

/** The XPath of the message list's row whose subject is exactly `subject`. */
export const messageRow = (subject) => '//*[@data-testid="message-row"][.//*[@data-testid="message-subject" and ' +
  `normalize-space(.)="${subject}"]]`;

/**
 * Creates `user` (with `user.email` set) on the test servers, delivers `messages` (`{ subject,
 * messageId, body }`, from `from`) and waits until the mailbox holds them: looked for by subject
 * over IMAP, or counted over POP3 (`over: 'pop3'`, the mailbox must start empty).
 */
export async function newUserWithMail(srv, user, { from, messages = [], over = 'imap' } = {}) {
  await addUser(user.email, user.password);
  for (const m of messages) {
    await deliver(srv, { from, to: user, subject: m.subject, messageId: m.messageId, body: m.body });
  }
  if (!messages.length) return;
  if (over === 'pop3') {
    await poll(async () => (await pop3List(srv, user)).length === messages.length,
      { timeout: 30_000, message: `the ${messages.length} messages did not reach ${user.email}'s POP3 mailbox` });
  } else {
    for (const m of messages) {
      await poll(async () => (await imapSearchSubject(srv, user, 'INBOX', m.subject)).length > 0,
        { timeout: 30_000, message: `"${m.subject}" was not delivered to ${user.email}` });
    }
  }
  log(`${messages.length} message(s) delivered to ${user.email}`);
}

/**
 * One scenario with the app: `start()` (in `before`) opens it and `after` closes it; `step`s run
 * in order, each skipped once an earlier one failed; a failed step has the errors the app shows
 * (`errors`: their test ids) added to its message and saves artifacts named `label step`.
 * `waitFor` waits for an element and ends at once with the text of an error in `waitErrors`.
 */
export function scenario({ label, errors = ['error-banner', 'acct-error', 'compose-error'], waitErrors = errors }) {
  const s = {
    /** The WebDriver session, once `start()` resolved. */
    browser: null,
    failed: false,

    async start() {
      s.browser = await startApp();
      return s.browser;
    },

    step(name, fn) {
      it(name, { timeout: STEP_TIMEOUT }, async (t) => {
        if (s.failed) {
          t.skip('an earlier step failed');
          return;
        }
        const started = Date.now();
        log(`step: ${name}`);
        try {
          await fn();
          log(`step done in ${((Date.now() - started) / 1000).toFixed(1)} s: ${name}`);
        } catch (err) {
          s.failed = true;
          const shown = s.browser ? await visibleErrors(s.browser, errors).catch(() => '') : '';
          if (shown && !err.message.includes(shown)) err.message += `\n  errors shown by the app: ${shown}`;
          await saveFailureArtifacts(s.browser, label ? `${label} ${name}` : name);
          throw err;
        }
      });
    },

    /** Waits until `selector` exists and returns the element; an error shown meanwhile ends the wait. */
    async waitFor(selector, { timeout = 60_000, what = selector, errors: watched = waitErrors } = {}) {
      return poll(async () => {
        const shown = watched.length ? await visibleErrors(s.browser, watched) : '';
        if (shown) throw fatal(`the app shows an error while waiting for ${what}: ${shown}`);
        const el = await s.browser.$(selector);
        return (await el.isExisting()) ? el : null;
      }, { timeout, interval: 250, message: `${what} did not appear within ${timeout / 1000} s` });
    },

    async waitGone(selector, { timeout = 30_000, what = selector } = {}) {
      await poll(async () => !(await s.browser.$(selector).isExisting()),
        { timeout, interval: 250, message: `${what} is still there after ${timeout / 1000} s` });
    },

    /** Closes an open menu (Escape; a click on the status bar when keys do not reach the window). */
    async closeMenu(id, what = id) {
      await s.browser.keys('Escape');
      await s.waitGone(tid(id), { timeout: 5_000, what: `${what} after Escape` }).catch(async () => {
        await s.browser.$(tid('status-bar')).click();
        await s.waitGone(tid(id), { timeout: 5_000, what });
      });
    },

    /** Calls one of the app's commands as the UI does; its answer. */
    async invoke(command, args) {
      const r = await s.browser.executeAsync((cmd, a, done) => {
        // eslint-disable-next-line no-underscore-dangle
        window.__TAURI_INTERNALS__.invoke(cmd, a).then((value) => done({ value }), (e) => done({ error: JSON.stringify(e) }));
      }, command, args ?? {});
      if (r.error) throw new Error(`${command} failed: ${r.error}`);
      return r.value;
    },

    /**
     * Opens the guided set-up and waits for `selector` in it: a fresh data folder opens on it,
     * after another spec's account it is behind "add account" (the suite shares one data folder).
     * Which it was: 'wizard' or 'button'.
     */
    async openSetUp(selector) {
      const { browser } = s;
      const first = await poll(async () => {
        await assertUiEmbedded(browser);
        if (await browser.$(selector).isExisting()) return 'wizard';
        if (await browser.$(tid('add-account-button')).isExisting()) return 'button';
        return null;
      }, { timeout: 60_000, message: 'neither the set-up wizard nor "add account" appeared' });
      if (first === 'button') {
        await browser.$(tid('add-account-button')).click();
        await s.waitFor(selector, { what: 'the set-up wizard' });
      }
      return first;
    },

    /**
     * Sets up `user`'s IMAP account through the manual form (implicit TLS for IMAP and SMTP) and
     * submits it. A fresh data folder shows the set-up wizard at once, with "Set up manually" one
     * click away; otherwise it is behind "add account".
     */
    async setUpManually(srv, user) {
      const { browser } = s;
      const first = await poll(async () => {
        await assertUiEmbedded(browser);
        if (await browser.$(tid('account-form')).isExisting()) return 'form';
        if (await browser.$(tid('manual-setup')).isExisting()) return 'wizard';
        if (await browser.$(tid('add-account-button')).isExisting()) return 'button';
        return null;
      }, { timeout: 60_000, message: 'neither the set-up wizard nor "add account" appeared' });
      if (first === 'button') await browser.$(tid('add-account-button')).click();
      if (first !== 'form') await (await s.waitFor(tid('manual-setup'), { what: '"Set up manually"' })).click();
      await s.waitFor(tid('account-form'));

      const fill = async (id, value) => browser.$(tid(id)).setValue(String(value));
      await fill('acct-name', user.name);
      await fill('acct-email', user.email);
      await fill('acct-password', user.password);
      // Security before port: choosing a security may put that security's usual port in the field.
      await fill('imap-host', srv.host);
      await browser.$(tid('imap-security')).selectByAttribute('value', 'tls');
      await fill('imap-port', srv.imapsPort);
      await fill('imap-username', user.email);
      await fill('smtp-host', srv.host);
      await browser.$(tid('smtp-security')).selectByAttribute('value', 'tls');
      await fill('smtp-port', srv.submissionsPort);
      await fill('smtp-username', user.email);
      await browser.$(tid('acct-submit')).click();
    },

    /**
     * Presses the set-up's "Test" with a wrong password and waits for the explanation: an
     * authentication failure that speaks of the password. Its text.
     */
    async testWithWrongPassword() {
      await s.browser.$(tid('wizard-test')).click();
      const error = await s.waitFor(tid('wizard-error'), { timeout: 60_000, what: 'the failed test', errors: [] });
      const shown = (await error.getText()).replace(/\s+/g, ' ');
      log(`error shown: ${shown}`);
      assert.equal(await error.getAttribute('data-kind'), 'auth_failed', `not an authentication failure: ${shown}`);
      assert.match(shown, /password/i);
      return shown;
    },

    /**
     * Types `text` at the end of the composer's body: the rich editor (Squire, a contenteditable
     * element: WebDriver's send keys puts the caret at its end) or the plain-text area.
     */
    async typeBody(text, { at = 'end' } = {}) {
      const editor = await s.browser.$(tid('compose-editor'));
      if (!(await editor.isExisting())) {
        await s.browser.$(tid('compose-body')).addValue(text);
        return;
      }
      if (at === 'start') {
        // Send keys types at the caret of a focused editable element: put it in the first line
        // (above the signature), as a person clicking there would.
        await s.browser.execute((el) => {
          el.focus();
          const range = document.createRange();
          range.setStart(el.firstElementChild ?? el, 0);
          range.collapse(true);
          const selection = window.getSelection();
          selection.removeAllRanges();
          selection.addRange(range);
        }, editor);
      }
      await editor.addValue(text);
    },

    /** The composer's body as text, whichever editor shows it. */
    async bodyText() {
      const editor = await s.browser.$(tid('compose-editor'));
      // innerText: WebKitWebDriver's Get Element Text runs nested blocks (Squire's lines) together.
      if (await editor.isExisting()) return s.browser.execute((el) => el.innerText, editor);
      return s.browser.$(tid('compose-body')).getValue();
    },

    /** Waits for `user`'s account in the folder tree; its id. */
    async accountId(user) {
      const row = await s.waitFor(`${tid('account-row')}[data-email="${user.email}"]`, { what: 'the account in the folder tree' });
      return row.getAttribute('data-account-id');
    },
  };

  after(async () => {
    if (s.browser) await s.browser.deleteSession().catch((e) => log('closing the app:', e.message));
  });
  return s;
}

/** A menu's item: `menu` its test id, `action` the item's data-action. */
export const menuItem = (menu, action) => `${tid(menu)} [data-action="${action}"]`;
