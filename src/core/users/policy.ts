/**
 * The rules a new password must meet (`user add`, `user passwd`), after NIST SP 800-63B-4
 * §3.1.1.2 and ASVS 5.0 6.2: a minimum length (15 characters by default, 8 at the lowest, for
 * passwords used with a second factor), no composition rules, the whole password compared with
 * a blocklist of common passwords (the bundled one and the operator's), and no password that
 * contains the username. Length counts Unicode code points of the NFC form, as the hash sees it.
 *
 * Refusals are UsageErrors (exit 2) that name the rule, never the password.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { randomInt } from 'node:crypto';
import { UsageError } from '../errors.js';
import { PASSWORD_MIN_CHARS, PASSWORD_MIN_DEFAULT } from '../defaults.js';
import { preparePassword } from './hashing.js';

export { PASSWORD_MIN_CHARS, PASSWORD_MIN_DEFAULT };

export interface PasswordRules {
  /** The user the password is for (NFC): a password may not contain it. */
  username: string;
  /** Minimum length in characters (code points), at least PASSWORD_MIN_CHARS. */
  minChars: number;
  /** The operator's own blocklist (--blocklist): one password per line. */
  blocklistFile?: string;
  /** The bundled list; tests pass their own. Default: bundledBlocklist(). */
  bundled?: () => Promise<ReadonlySet<string>>;
}

/**
 * Parts of a username too telling to appear in its password: the name, and for an e-mail
 * address its local part. Only parts of 3 characters or more: a one- or two-letter name occurs
 * by chance in most passphrases ("al" in "totally"), and refusing those would be a composition
 * rule in disguise.
 */
export function nameParts(username: string): string[] {
  const parts = [username];
  const at = username.indexOf('@');
  if (at > 0) parts.push(username.slice(0, at));
  return [...new Set(parts.map((p) => p.toLowerCase()))].filter((p) => [...p].length >= 3);
}

/** How a password and a list entry are compared: NFC, then lower case (the bundled list is lower case). */
export function blocklistForm(password: string): string {
  return password.normalize('NFC').toLowerCase();
}

/**
 * The checks that need no list: length and the username. Returns the reason for a refusal, or
 * undefined. `nfc` is the password in NFC (as preparePassword hashes it).
 */
export function lengthOrNameProblem(nfc: string, rules: Pick<PasswordRules, 'username' | 'minChars'>): string | undefined {
  const length = [...nfc].length;
  if (length < rules.minChars) return `password is shorter than ${rules.minChars} characters`;
  const lower = nfc.toLowerCase();
  if (nameParts(rules.username).some((part) => lower.includes(part))) return `password contains the username`;
  return undefined;
}

let bundled: Promise<ReadonlySet<string>> | undefined;

/**
 * The bundled blocklist: @zxcvbn-ts/language-common's passwords.json, 49,233 passwords ranked
 * by frequency in Mark Burnett's 10 million leaked passwords (xato.net, 2015), lower case, each
 * seen more than 10 times. Loaded on first use (about 0.5 MB), so commands that never take a
 * new password do not pay for it.
 */
export function bundledBlocklist(): Promise<ReadonlySet<string>> {
  bundled ??= import('@zxcvbn-ts/language-common/src/passwords.json', { with: { type: 'json' } }).then(
    (m) => new Set((m.default as string[]).map(blocklistForm)),
  );
  return bundled;
}

/**
 * Whether a file (one password per line, UTF-8, `\n` or `\r\n`) lists the password, compared as
 * blocklistForm. Read as a stream and never held whole: a list of millions of lines costs no memory.
 */
export async function fileLists(path: string, form: string): Promise<boolean> {
  const stream = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  try {
    for await (const line of lines) if (line !== '' && blocklistForm(line) === form) return true;
    return false;
  } catch (err) {
    throw unreadable(path, err);
  } finally {
    lines.close();
    stream.destroy();
  }
}

function unreadable(path: string, err: unknown): UsageError {
  return new UsageError(`cannot read --blocklist ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
}

/** Fail early (exit 2, before a password is asked for) when --blocklist cannot be opened. */
export async function checkBlocklistFile(path: string | undefined): Promise<void> {
  if (path === undefined) return;
  let isFile: boolean;
  try {
    const handle = await open(path, 'r');
    isFile = (await handle.stat()).isFile();
    await handle.close();
  } catch (err) {
    throw unreadable(path, err);
  }
  if (!isFile) throw new UsageError(`cannot read --blocklist ${path}: not a file`);
}

/**
 * A new password, checked against every rule: the bytes to hash (NFC, UTF-8), or a UsageError
 * naming the rule it breaks. The rules of every password come first (preparePassword: at most
 * 1024 bytes, no control characters).
 */
export async function prepareNewPassword(password: string, rules: PasswordRules): Promise<Buffer> {
  if (rules.minChars < PASSWORD_MIN_CHARS) throw new UsageError(`the minimum password length may not be below ${PASSWORD_MIN_CHARS}`);
  const bytes = preparePassword(password, 0);
  try {
    const nfc = password.normalize('NFC');
    const problem = lengthOrNameProblem(nfc, rules);
    if (problem !== undefined) {
      throw new UsageError(problem, {
        hint:
          problem === 'password contains the username'
            ? undefined
            : `a passphrase of a few words is easiest; --min-length lowers the minimum to ${PASSWORD_MIN_CHARS} for passwords used with a second factor`,
      });
    }
    const form = blocklistForm(nfc);
    if ((await (rules.bundled ?? bundledBlocklist)()).has(form)) throw new UsageError('password is on the list of common passwords');
    if (rules.blocklistFile !== undefined && (await fileLists(rules.blocklistFile, form)))
      throw new UsageError(`password is on the blocklist ${rules.blocklistFile}`);
    return bytes;
  } catch (err) {
    bytes.fill(0);
    throw err;
  }
}

/**
 * Letters and digits that cannot be mistaken for one another when read out or copied by hand
 * (no 0/O/o, 1/l/I): 56 symbols, 5.8 bits each.
 */
export const RANDOM_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789';

/**
 * A random password for `user passwd --random`: groups of 4 symbols of RANDOM_ALPHABET joined
 * by '-', 24 symbols (about 139 bits) or as many more as the minimum length needs. Drawn with
 * crypto.randomInt (uniform, no modulo bias). One that breaks a rule by chance (it contains a
 * 3-letter username, say) is drawn again.
 */
export function randomPassword(rules: Pick<PasswordRules, 'username' | 'minChars'>): string {
  for (;;) {
    const groups: string[] = [];
    let length = 0;
    let symbols = 0;
    while (symbols < 24 || length < rules.minChars) {
      let group = '';
      for (let i = 0; i < 4; i += 1) group += RANDOM_ALPHABET[randomInt(RANDOM_ALPHABET.length)];
      groups.push(group);
      symbols += 4;
      length += groups.length === 1 ? 4 : 5;
    }
    const password = groups.join('-');
    if (lengthOrNameProblem(password, rules) === undefined) return password;
  }
}
