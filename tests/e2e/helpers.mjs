// Helpers for the end-to-end specs: the test mail servers (users, delivery, IMAP checks through
// curl with TLS verified against the test CA), the WebDriver session with the built app, and
// artifacts (screenshots, page source) for debugging.
//
// tests/e2e/run.sh sets the environment these read; see tests/README.md.

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { remote } from 'webdriverio';

const run = promisify(execFile);
const HERE = dirname(fileURLToPath(import.meta.url));
export const REPO = resolve(HERE, '../..');

// ---------------------------------------------------------------------------------------------
// Environment

/** Reads KEY=VALUE lines (optionally `export`ed and quoted) from a shell env file. */
function readEnvFile(path) {
  const out = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = line.match(/^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/);
    if (!m) continue;
    let v = m[2].trim();
    if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) {
      v = v.slice(1, -1);
    }
    out[m[1]] = v;
  }
  return out;
}

/** The test servers' settings: process.env, completed from $PETREL_TESTKIT_DIR/env. */
export function serverEnv() {
  const dir = process.env.PETREL_TESTKIT_DIR || '/tmp/petrel-mail';
  const file = join(dir, 'env');
  const env = { ...(existsSync(file) ? readEnvFile(file) : {}), ...pick(process.env, /^PETREL_TEST_/) };
  for (const k of ['PETREL_TEST_IMAPS_PORT', 'PETREL_TEST_SUBMISSIONS_PORT', 'PETREL_TEST_SMTP_PORT',
    'PETREL_TEST_CA_FILE']) {
    if (!env[k]) throw new Error(`${k} is not set: start the servers (tests/servers/mailservers.sh start)`);
  }
  return {
    host: env.PETREL_TEST_HOST || 'localhost',
    domain: env.PETREL_TEST_DOMAIN || 'petrel.test',
    imapsPort: Number(env.PETREL_TEST_IMAPS_PORT),
    /** POP3 over implicit TLS (NaN when the servers' env file predates POP3). */
    pop3sPort: Number(env.PETREL_TEST_POP3S_PORT),
    submissionsPort: Number(env.PETREL_TEST_SUBMISSIONS_PORT),
    smtpPort: Number(env.PETREL_TEST_SMTP_PORT),
    caFile: env.PETREL_TEST_CA_FILE,
  };
}

function pick(obj, re) {
  return Object.fromEntries(Object.entries(obj).filter(([k, v]) => re.test(k) && v));
}

/** A short random tag that makes names and subjects unique to one run. */
export function uniqueTag() {
  return `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

export function log(...args) {
  const t = new Date().toISOString().slice(11, 23);
  console.error(`[${t}]`, ...args);
}

// ---------------------------------------------------------------------------------------------
// Mail servers

/** Creates a mailbox user on the test servers (tests/servers/mailservers.sh add-user). */
export async function addUser(email, password) {
  const script = join(REPO, 'tests/servers/mailservers.sh');
  await run(script, ['add-user', email, password], { env: process.env });
}

/**
 * Delivers a plain-text message through the servers' plain inbound SMTP port (no auth, as mail
 * from another server would arrive). Returns when the SMTP server has accepted it.
 */
export async function deliver(srv, { from, to, subject, body, messageId }) {
  const msg = [
    `From: ${from.name} <${from.email}>`,
    `To: ${to.name} <${to.email}>`,
    `Subject: ${subject}`,
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: <${messageId}>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 7bit',
    '',
    ...body.split('\n'),
    '',
  ].join('\r\n');
  await curl([`smtp://${srv.host}:${srv.smtpPort}`, '--mail-from', from.email, '--mail-rcpt', to.email,
    '--upload-file', '-'], msg);
}

/** Runs curl, feeding `input` on stdin; returns stdout. Fails with curl's stderr. */
function curl(args, input, { maxTime = 30 } = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = execFile('curl', ['--silent', '--show-error', '--max-time', String(maxTime), ...args],
      { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`curl ${args[0]} failed: ${stderr || err.message}`));
        else resolvePromise(stdout);
      });
    child.stdin.end(input ?? '');
  });
}

/** IMAP over implicit TLS, certificate verified against the test CA (never --insecure). */
function imapArgs(srv, user, urlPath) {
  return [`imaps://${srv.host}:${srv.imapsPort}/${urlPath}`, '--cacert', srv.caFile,
    '--user', `${user.email}:${user.password}`];
}

/** An IMAP command in `mailbox` ('' for none: LIST, LSUB) through curl; its output. */
export function imapCommand(srv, user, mailbox, command) {
  return curl([...imapArgs(srv, user, encodeURIComponent(mailbox)), '--request', command]);
}

/** UIDs of messages in `mailbox` whose Subject contains `subject` (IMAP SEARCH; `undeleted`: not \\Deleted). */
export async function imapSearchSubject(srv, user, mailbox, subject, { undeleted = false } = {}) {
  const out = await imapCommand(srv, user, mailbox,
    `UID SEARCH ${undeleted ? 'UNDELETED ' : ''}SUBJECT "${subject.replace(/["\\]/g, '')}"`);
  const m = out.match(/^\* SEARCH([\d ]*)/m);
  return m ? m[1].trim().split(/\s+/).filter(Boolean).map(Number) : [];
}

/** The names of the server's folders (`LIST`), or of those the user is subscribed to (`LSUB`). */
export async function imapFolderNames(srv, user, command = 'LIST') {
  const out = await imapCommand(srv, user, '', `${command} "" "*"`);
  const re = new RegExp(`^\\* ${command} \\([^)]*\\) (?:"[^"]*"|NIL) (.*)$`);
  return out.split(/\r?\n/).map((line) => line.match(re)).filter(Boolean).map((m) => m[1].replace(/^"(.*)"$/, '$1'));
}

/** Puts the raw message `raw` into `mailbox` over IMAP (APPEND), as another mail program would. */
export async function imapAppend(srv, user, mailbox, raw) {
  // APPEND needs the size up front: from a file, not stdin.
  const dir = mkdtempSync(join(tmpdir(), 'petrel-e2e-append-'));
  try {
    const file = join(dir, 'message.eml');
    writeFileSync(file, raw);
    await curl([...imapArgs(srv, user, encodeURIComponent(mailbox)), '--upload-file', file], '', { maxTime: 120 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The raw RFC 5322 message with this UID. */
export async function imapFetch(srv, user, mailbox, uid) {
  return curl(imapArgs(srv, user, `${encodeURIComponent(mailbox)}/;UID=${uid}`));
}

/**
 * The messages in the user's POP3 mailbox as the server lists them (POP3S, certificate verified
 * against the test CA): `[{ number, size }]`. curl logs in, sends LIST and QUIT.
 */
export async function pop3List(srv, user) {
  if (!Number.isFinite(srv.pop3sPort)) throw new Error('PETREL_TEST_POP3S_PORT is not set: restart the test servers');
  const out = await curl([`pop3s://${srv.host}:${srv.pop3sPort}/`, '--cacert', srv.caFile,
    '--user', `${user.email}:${user.password}`]);
  return out.split(/\r?\n/).map((line) => line.match(/^(\d+) (\d+)$/)).filter(Boolean)
    .map((m) => ({ number: Number(m[1]), size: Number(m[2]) }));
}

/**
 * Polls `fn` until it returns a truthy value, which it returns. Errors thrown by `fn` are retried
 * (the last one is reported on time-out), except those made with `fatal()`, which end the wait.
 */
export async function poll(fn, { timeout = 30_000, interval = 500, message = 'timed out' } = {}) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      if (e.fatal) throw e;
      last = e;
    }
    if (Date.now() > end) throw new Error(`${message}${last ? ` (last error: ${last.message})` : ''}`);
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** An error that ends a `poll` at once. */
export function fatal(message) {
  return Object.assign(new Error(message), { fatal: true });
}

/** Splits a raw message into unfolded headers (lower-case names) and the text of its body. */
export function parseMessage(raw) {
  const text = raw.replace(/\r\n/g, '\n');
  const cut = text.indexOf('\n\n');
  const head = (cut < 0 ? text : text.slice(0, cut)).replace(/\n[ \t]+/g, ' ');
  const body = cut < 0 ? '' : text.slice(cut + 2);
  const headers = {};
  for (const line of head.split('\n')) {
    const m = line.match(/^([^:\s]+):\s*(.*)$/);
    if (m) headers[m[1].toLowerCase()] ??= m[2];
  }
  return { headers, body, decoded: decodeLoosely(body) };
}

/** The body as readable text whatever the transfer encoding: raw + quoted-printable + base64. */
function decodeLoosely(body) {
  const qp = body.replace(/=\n/g, '').replace(/=([0-9A-F]{2})/g,
    (_, h) => String.fromCharCode(parseInt(h, 16)));
  const b64 = body.split(/\n\n/).map((block) => {
    const compact = block.replace(/\s+/g, '');
    return /^[A-Za-z0-9+/]+=*$/.test(compact) && compact.length >= 8
      ? Buffer.from(compact, 'base64').toString('utf8') : '';
  }).join('\n');
  return `${body}\n${qp}\n${b64}`;
}

// ---------------------------------------------------------------------------------------------
// The app, through WebDriver

export function appPath() {
  const app = process.env.PETREL_APP;
  if (!app) throw new Error('PETREL_APP is not set: run the suite through tests/e2e/run.sh');
  return app;
}

export async function startApp() {
  const browser = await remote({
    hostname: '127.0.0.1',
    port: Number(process.env.PETREL_E2E_DRIVER_PORT || 4444),
    logLevel: process.env.PETREL_E2E_WDIO_LOG || 'warn',
    connectionRetryTimeout: 120_000,
    connectionRetryCount: 0,
    capabilities: {
      'tauri:options': { application: appPath() },
      // WebKitWebDriver speaks classic WebDriver only.
      'wdio:enforceWebDriverClassic': true,
    },
  });
  return browser;
}

/**
 * Fails (fatally, for `poll`) when the window shows WebKit's "Could not connect" page: the binary
 * was built without the `custom-protocol` feature and looks for the Vite dev server.
 */
export async function assertUiEmbedded(browser) {
  const src = await browser.getPageSource().catch(() => '');
  if (/Could not connect to localhost/.test(src) && !/data-testid/.test(src)) {
    throw fatal(`the app binary does not embed the UI (it tries the dev server): build it with
  'make app' (cargo build --features custom-protocol --bin petrel-app after npm --prefix ui run build)`);
  }
}

/** `[data-testid=NAME]` */
export const tid = (name) => `[data-testid="${name}"]`;

/** Texts of the visible error elements among `names`, joined; '' when none is shown. */
export async function visibleErrors(browser, names = ['error-banner', 'acct-error', 'compose-error']) {
  const found = [];
  for (const name of names) {
    for (const el of await browser.$$(tid(name))) {
      if (await el.isDisplayed().catch(() => false)) {
        const text = (await el.getText().catch(() => '')).trim();
        if (text) found.push(`${name}: ${text}`);
      }
    }
  }
  return found.join(' | ');
}

export function artifactsDir() {
  const dir = process.env.PETREL_E2E_ARTIFACTS || join(HERE, 'artifacts');
  mkdirSync(dir, { recursive: true });
  return dir;
}

export async function screenshot(browser, name) {
  const file = join(artifactsDir(), `${name}.png`);
  await browser.saveScreenshot(file);
  log(`screenshot: ${file}`);
  return file;
}

/**
 * Saves what helps to see why a step failed: the webview's screenshot and page source, and a
 * screenshot of the whole X screen (shows native dialogs and other windows too).
 */
export async function saveFailureArtifacts(browser, step) {
  const base = `failed-${step.replace(/[^A-Za-z0-9]+/g, '-').toLowerCase()}`;
  const dir = artifactsDir();
  if (browser) {
    await browser.saveScreenshot(join(dir, `${base}.png`)).catch((e) => log('no screenshot:', e.message));
    await browser.getPageSource()
      .then((src) => writeFileSync(join(dir, `${base}.html`), src))
      .catch((e) => log('no page source:', e.message));
  }
  if (process.env.DISPLAY) {
    await run('import', ['-display', process.env.DISPLAY, '-window', 'root', join(dir, `${base}-screen.png`)])
      .catch((e) => log('no X screenshot:', e.message));
  }
  log(`failure artifacts saved in ${dir} as ${base}.*`);
}

/**
 * The leaf parts of a raw MIME message, multiparts walked: `{ type, filename, headers, bytes }`,
 * the body decoded from base64 or quoted-printable, the file name from RFC 2231 parameters
 * (`filename*=utf-8''…`, continuations too) or RFC 2047 words.
 */
export function mimeParts(raw) {
  const leaves = [];
  const walk = (chunk) => {
    const cut = chunk.indexOf('\n\n');
    const head = (cut < 0 ? chunk : chunk.slice(0, cut)).replace(/\n[ \t]+/g, ' ');
    const body = cut < 0 ? '' : chunk.slice(cut + 2);
    const headers = {};
    for (const line of head.split('\n')) {
      const m = line.match(/^([^:\s]+):\s*(.*)$/);
      if (m) headers[m[1].toLowerCase()] ??= m[2];
    }
    const contentType = headers['content-type'] || 'text/plain';
    const type = contentType.split(';')[0].trim().toLowerCase();
    if (type.startsWith('multipart/')) {
      const boundary = mimeParam(contentType, 'boundary');
      const line = new RegExp(`^--${boundary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?:--)?[ \\t]*$`, 'm');
      for (const piece of body.split(line).slice(1, -1)) walk(piece.replace(/^\n/, ''));
      return;
    }
    const encoding = (headers['content-transfer-encoding'] || '7bit').trim().toLowerCase();
    let bytes;
    if (encoding === 'base64') bytes = Buffer.from(body.replace(/\s+/g, ''), 'base64');
    else if (encoding === 'quoted-printable') {
      const soft = body.replace(/=\n/g, '');
      const out = [];
      for (let i = 0; i < soft.length; i++) {
        const hex = soft[i] === '=' ? soft.slice(i + 1, i + 3) : '';
        if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
          out.push(parseInt(hex, 16));
          i += 2;
        } else out.push(...Buffer.from(soft[i], 'utf8'));
      }
      bytes = Buffer.from(out);
    } else bytes = Buffer.from(body, 'utf8');
    const filename = mimeParam(headers['content-disposition'] || '', 'filename') || mimeParam(contentType, 'name');
    leaves.push({ type, filename, headers, bytes });
  };
  walk(raw.replace(/\r\n/g, '\n'));
  return leaves;
}

/** A header parameter's value: plain, quoted, RFC 2231 (charset'lang'%xx, continued) or RFC 2047. */
function mimeParam(header, name) {
  const params = [...header.matchAll(/;\s*([^=\s;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)/g)]
    .map((m) => [m[1].toLowerCase(), m[2].trim().replace(/^"(.*)"$/, '$1').replace(/\\(.)/g, '$1')]);
  const extended = params.filter(([k]) => k === `${name}*` || k.startsWith(`${name}*`));
  if (extended.length) {
    const ordered = extended
      .map(([k, v]) => ({ n: Number((k.match(/\*(\d+)/) || [0, 0])[1]), encoded: k.endsWith('*'), v }))
      .sort((a, b) => a.n - b.n);
    let charset = 'utf-8';
    const bytes = [];
    for (const [i, p] of ordered.entries()) {
      let v = p.v;
      if (i === 0 && p.encoded) {
        const m = v.match(/^([^']*)'[^']*'(.*)$/);
        if (m) {
          charset = m[1] || charset;
          v = m[2];
        }
      }
      if (p.encoded) {
        for (let j = 0; j < v.length; j++) {
          if (v[j] === '%' && /^[0-9A-Fa-f]{2}$/.test(v.slice(j + 1, j + 3))) {
            bytes.push(parseInt(v.slice(j + 1, j + 3), 16));
            j += 2;
          } else bytes.push(...Buffer.from(v[j], 'utf8'));
        }
      } else bytes.push(...Buffer.from(v, 'utf8'));
    }
    return new TextDecoder(charset).decode(Buffer.from(bytes));
  }
  const plain = params.find(([k]) => k === name)?.[1] ?? '';
  return plain.replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=\s*/g, (_, charset, enc, text) => {
    const buf = enc.toUpperCase() === 'B'
      ? Buffer.from(text, 'base64')
      : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (__, h) => String.fromCharCode(parseInt(h, 16))), 'latin1');
    return new TextDecoder(charset).decode(buf);
  });
}
