// The guided set-up, end to end, in the real app window: from an address and a password to a
// synced INBOX. The app finds the settings by itself through DNS SRV records served by a real DNS
// server on loopback (tests/e2e/run.sh starts `petrel-testkit dns` and points the app at it with
// PETREL_DNS_SERVER). A wrong password is tried first: it must be explained and nothing saved.
//
// Run through tests/e2e/run.sh (or `make e2e`).

import assert from 'node:assert/strict';
import { before, describe } from 'node:test';
import { fatal, log, poll, screenshot, serverEnv, tid, uniqueTag, visibleErrors } from '../helpers.mjs';
import { messageRow, newUserWithMail, scenario } from '../story.mjs';

describe('guided set-up: address → found settings → test → synced INBOX', { timeout: 10 * 60_000 }, () => {
  const tag = uniqueTag();
  let srv;
  let browser;
  /** Accounts other specs left in the shared data folder. */
  let accountsBefore = [];

  const me = { name: 'E2E Wizard', password: `pw-wizard-${tag}` };
  const wrongPassword = `not-${me.password}`;
  const known = { subject: `Wizard check ${tag}`, messageId: `e2e-wizard-${tag}@petrel.test` };
  const rowXPath = messageRow(known.subject);
  // Only an unexpected set-up error ends a wait at once.
  const { step, waitFor, invoke, ...app } = scenario({
    label: 'wizard', errors: ['error-banner', 'wizard-error', 'acct-error'], waitErrors: ['wizard-error'],
  });

  /** The accounts as the app's own `list_accounts` command returns them. */
  const listAccounts = () => invoke('list_accounts');

  const text = async (id) => (await browser.$(tid(id)).getText()).replace(/\s+/g, ' ').trim();

  before(async () => {
    srv = serverEnv();
    if (!process.env.PETREL_DNS_SERVER) throw new Error('PETREL_DNS_SERVER is not set: run through tests/e2e/run.sh');
    me.email = `e2e-wizard-${tag}@${srv.domain}`;
    log(`user: ${me.email}; DNS server ${process.env.PETREL_DNS_SERVER}`);
    await newUserWithMail(srv, me, {
      from: { name: 'E2E Postmaster', email: `postmaster-${tag}@${srv.domain}` },
      messages: [{ ...known, body: 'Welcome: this message is waiting in the INBOX before the account is set up.\n' }],
    });
    browser = await app.start();
  });

  step('opens the wizard, with manual set-up one click away', async () => {
    const first = await app.openSetUp(tid('wizard'));
    accountsBefore = await listAccounts();
    log(`accounts before: ${accountsBefore.map((a) => a.email).join(', ') || 'none'}`);
    if (first === 'wizard') {
      assert.equal(accountsBefore.length, 0, 'the wizard opened by itself although there are accounts');
    }
    for (const id of ['wizard-name', 'wizard-email', 'wizard-password', 'wizard-continue', 'manual-setup']) {
      assert.ok(await browser.$(tid(id)).isDisplayed(), `${id} is not shown on step 1`);
    }
  });

  step('finds the settings through DNS SRV and shows them with locks', async () => {
    await browser.$(tid('wizard-name')).setValue(me.name);
    await browser.$(tid('wizard-email')).setValue(me.email);
    await browser.$(tid('wizard-password')).setValue(wrongPassword);
    await browser.$(tid('wizard-continue')).click();

    // One row per source, the SRV one ends "found".
    await waitFor(`${tid('discovery-source')}[data-source="srv"][data-state="found"]`,
      { timeout: 45_000, what: 'the SRV source found' });
    const summary = await waitFor(tid('discovery-summary'), { timeout: 45_000, what: 'the summary of found settings' });
    assert.equal(await summary.getAttribute('data-source'), 'srv', 'the settings did not come from SRV');
    const sources = await browser.$$(tid('discovery-source'));
    const states = {};
    for (const row of sources) states[await row.getAttribute('data-source')] = await row.getAttribute('data-state');
    log('sources:', JSON.stringify(states));
    assert.deepEqual(Object.keys(states).sort(),
      ['autoconfig', 'autoconfig_http', 'guess', 'mx', 'provider', 'srv']);
    assert.equal(states.provider, 'not_found');
    assert.match(await summary.getText(), /Found through DNS/);

    const incoming = await text('discovery-incoming');
    const outgoing = await text('discovery-outgoing');
    log(`incoming: ${incoming} | outgoing: ${outgoing}`);
    assert.match(incoming, /IMAP/);
    assert.match(incoming, /localhost/);
    assert.match(incoming, new RegExp(`port ${srv.imapsPort}\\b`), 'implicit TLS (imaps) was not preferred');
    assert.match(incoming, /SSL\/TLS/);
    assert.match(outgoing, /SMTP/);
    assert.match(outgoing, /localhost/);
    assert.match(outgoing, new RegExp(`port ${srv.submissionsPort}\\b`), 'implicit TLS (submissions) was not preferred');
    // The drawn locks: implicit TLS on both.
    assert.equal(await browser.$(tid('discovery-incoming')).getAttribute('data-lock'), 'tls');
    assert.equal(await browser.$(tid('discovery-outgoing')).getAttribute('data-lock'), 'tls');
    assert.ok(await browser.$(`${tid('discovery-incoming')} svg`).isExisting(), 'no lock drawn for incoming');
    assert.ok(await browser.$(`${tid('discovery-outgoing')} svg`).isExisting(), 'no lock drawn for outgoing');
    // Trusted, encrypted: no confirmation or consent asked.
    assert.equal(await browser.$(tid('discovery-confirm')).isExisting(), false);
    assert.equal(await browser.$(tid('plaintext-consent')).isExisting(), false);
    await screenshot(browser, 'wizard-summary');
    // The per-source rows stay one click away once settings are found.
    const how = await browser.$(tid('discovery-how'));
    if (await how.isExisting()) {
      await how.click();
      await poll(async () => browser.$(`${tid('discovery-source')}[data-source="srv"]`).isDisplayed(),
        { timeout: 5_000, message: '"Where Petrel looked" does not open' });
      await screenshot(browser, 'wizard-sources');
      await how.click();
    }
  });

  step('a wrong password is explained, and nothing is saved', async () => {
    const shown = await app.testWithWrongPassword();
    assert.match(shown, /not accept|was not accepted|rejected|wrong|incorrect/i,
      'the error does not say the password was not accepted');
    assert.deepEqual(await listAccounts(), accountsBefore, 'an account was saved although the test failed');
    // Still on step 2, the found settings kept.
    assert.equal(await browser.$(tid('wizard')).getAttribute('data-view'), 'settings');
    assert.ok(await browser.$(tid('discovery-summary')).isExisting());
    await screenshot(browser, 'wizard-wrong-password');
  });

  step('"Edit" shows every setting, filled in as found', async () => {
    await browser.$(tid('discovery-edit')).click();
    await waitFor(tid('imap-host'), { what: 'the incoming server fields', errors: [] });
    const value = async (id) => browser.$(tid(id)).getValue();
    assert.deepEqual(
      [await value('imap-protocol'), await value('imap-host'), await value('imap-port'), await value('imap-security'),
        await value('imap-username'), await value('imap-auth')],
      ['imap', srv.host, String(srv.imapsPort), 'tls', me.email, 'password']);
    assert.deepEqual(
      [await value('smtp-protocol'), await value('smtp-host'), await value('smtp-port'), await value('smtp-security'),
        await value('smtp-username'), await value('smtp-auth')],
      ['smtp', srv.host, String(srv.submissionsPort), 'tls', me.email, 'password']);
    await screenshot(browser, 'wizard-edit');
  });

  step('the right password: tested, saved, first sync with progress, then the INBOX', async () => {
    const password = await browser.$(tid('wizard-password'));
    await password.clearValue();
    await password.setValue(me.password);
    await browser.$(tid('wizard-test')).click();

    // "Done" with the first sync's progress bar (shown at least a moment), then the mail.
    await waitFor(tid('wizard-done'), { timeout: 60_000, what: '"Done"' });
    assert.ok(await browser.$(tid('sync-progress')).isExisting(), 'no progress bar for the first sync');
    await screenshot(browser, 'wizard-syncing');
    const accounts = await listAccounts();
    assert.equal(accounts.length, accountsBefore.length + 1, 'not exactly one account was added');
    const mine = accounts.filter((x) => x.email === me.email);
    assert.equal(mine.length, 1, `expected one account ${me.email}, found ${mine.length}`);
    const [a] = mine;
    // This account's INBOX, selected, with the known message.
    const inbox = `[aria-labelledby="account-${a.id}"] ${tid('folder-item')}[data-role="inbox"]`;
    // The wizard closes by itself when the first sync is done.
    await poll(async () => {
      const shown = await visibleErrors(browser, ['sync-error']);
      if (shown) throw fatal(`the first sync failed: ${shown}`);
      return !(await browser.$(tid('wizard')).isExisting());
    }, { timeout: 60_000, interval: 250, message: 'the wizard did not close after the first sync' });
    const item = await waitFor(inbox, { timeout: 30_000, what: 'the new account\'s INBOX', errors: [] });
    await poll(async () => (await item.getAttribute('aria-current')) === 'true',
      { timeout: 10_000, message: 'the new account\'s INBOX is not the folder shown' });
    await waitFor(rowXPath, { timeout: 60_000, what: `the row "${known.subject}"`, errors: [] });
    assert.equal(a.email, me.email);
    assert.equal(a.display_name, me.name);
    assert.deepEqual([a.incoming.host, a.incoming.port, a.incoming.security], [srv.host, srv.imapsPort, 'tls']);
    assert.deepEqual([a.smtp.host, a.smtp.port, a.smtp.security], [srv.host, srv.submissionsPort, 'tls']);
    assert.equal(a.incoming.trusted_cert, null, 'a certificate was pinned without being asked');
    await screenshot(browser, 'wizard-done');
  });
});
