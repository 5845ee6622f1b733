/** What every command on one user starts with, the same way: its name, its key and the hashing rules. */
import { readFile } from 'node:fs/promises';
import {
  costCaps,
  hashPolicy,
  policyAndCaps,
  type AuditFlags,
  type FirebaseParamsFlag,
  type PepperFileFlag,
  type PasswordStdinFlag,
  type PolicyFlags,
  type UserFlags,
} from '../../cli/options.js';
import { UsageError } from '../../core/errors.js';
import type { CostCaps, HashPolicy } from '../../core/users/hashing.js';
import { parseFirebaseParams } from '../../core/users/families/firebase.js';
import type { FirebaseParams } from '../../core/users/families/index.js';
import { userKey, validateNewUsername, validateUsername } from '../../core/users/names.js';
import { readPepperFile, type PepperKeys } from '../../core/users/pepper.js';
import { say, type Io } from '../../cli/io.js';

/** The options of `user add`, `user verify`, `user rehash` and `user passwd` (only verify and rehash have --firebase-params). */
export interface UserCommandFlags extends UserFlags, PolicyFlags, AuditFlags, PasswordStdinFlag, FirebaseParamsFlag, PepperFileFlag {}

export interface UserTarget {
  /** The name as given, checked and normalized to NFC: the name to use from here on. */
  name: string;
  key: string;
  policy: HashPolicy;
  caps: CostCaps;
}

/**
 * `new`: a user to create, held to the rules against look-alike names. `existing`: a user to
 * check a password of; verify and rehash still reach names made before those rules, and their
 * policy must be within the caps (see policyAndCaps: an unknown user's decoy hash is hashed at
 * the policy and checked against the caps).
 */
export function userTarget(given: string, opts: UserCommandFlags, kind: 'new' | 'existing'): UserTarget {
  const name = kind === 'new' ? validateNewUsername(given) : validateUsername(given);
  const { policy, caps } = kind === 'new' ? { policy: hashPolicy(opts), caps: costCaps(opts) } : policyAndCaps(opts);
  return { name, key: userKey(opts.userPrefix, name), policy, caps };
}

/**
 * The Firebase project's hash parameters of --firebase-params, read before the password is
 * asked for, so that a missing or malformed file is reported first. undefined without the option.
 */
export async function readFirebaseParams(path: string | undefined): Promise<FirebaseParams | undefined> {
  if (path === undefined) return undefined;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read --firebase-params ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  return parseFirebaseParams(text);
}

/**
 * The pepper keys of --pepper-file (or REDIS_ACCOUNTS_PEPPER_FILE), read before the password is
 * asked for, so that a missing or malformed file is reported first (exit 2); a file others can
 * read is warned about on stderr. undefined without the option: no pepper.
 */
export async function readPepper(io: Io, path: string | undefined): Promise<PepperKeys | undefined> {
  if (path === undefined || path === '') return undefined;
  const warnings: string[] = [];
  const keys = await readPepperFile(path, warnings);
  for (const line of warnings) say(io, line);
  return keys;
}
