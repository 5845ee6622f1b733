/**
 * Password hashes made at test time by independent implementations, Debian's packages (see
 * .ci/run): python3-passlib, python3-bcrypt, python3-django (3.2: its make_password), Python's
 * hashlib (what Keycloak's and Django 4's formats compute, where no Debian package writes them),
 * and PHP's password_hash (php8.2-cli). Each hash is of the password given, so a test can
 * check that the tool verifies it, and that a wrong password is refused.
 */
import { spawnSync } from 'node:child_process';

const INSTALL_HINT = 'apt-get install python3-passlib python3-bcrypt python3-django python3-argon2 php-cli (CI installs them in .ci/run)';

/** One JSON object of hashes, keyed by a label; the password comes on stdin (UTF-8, no newline). */
const PY_MAKE = String.raw`
import base64, hashlib, json, os, sys
import bcrypt
from passlib.hash import pbkdf2_sha1, pbkdf2_sha256, pbkdf2_sha512, scrypt
from django.conf import settings
settings.configure(PASSWORD_HASHERS=[
    'django.contrib.auth.hashers.PBKDF2PasswordHasher',
    'django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher',
    'django.contrib.auth.hashers.BCryptSHA256PasswordHasher',
    'django.contrib.auth.hashers.BCryptPasswordHasher',
    'django.contrib.auth.hashers.Argon2PasswordHasher',
])
from django.contrib.auth.hashers import make_password
from django.utils.crypto import get_random_string

pw = sys.stdin.buffer.read().decode('utf-8')
raw = pw.encode('utf-8')
out = {}
out['passlib-pbkdf2-sha1'] = pbkdf2_sha1.hash(pw)
out['passlib-pbkdf2-sha256'] = pbkdf2_sha256.hash(pw)
out['passlib-pbkdf2-sha512'] = pbkdf2_sha512.hash(pw)
out['passlib-scrypt'] = scrypt.using(rounds=14).hash(pw)
out['python-bcrypt-2b'] = bcrypt.hashpw(raw, bcrypt.gensalt(10)).decode()
out['python-bcrypt-2a'] = bcrypt.hashpw(raw, bcrypt.gensalt(10, b'2a')).decode()
for hasher in ['pbkdf2_sha256', 'pbkdf2_sha1', 'bcrypt_sha256', 'bcrypt', 'argon2']:
    out['django-' + hasher] = make_password(pw, hasher=hasher)
# Django >= 4.0's ScryptPasswordHasher.encode (Debian 12's Django 3.2 predates it), its defaults.
salt = get_random_string(22)
n, r, p = 2 ** 14, 8, 5
dk = hashlib.scrypt(raw, salt=salt.encode(), n=n, r=r, p=p, maxmem=64 * 1024 * 1024, dklen=64)
out['django-scrypt'] = 'scrypt$%d$%s$%d$%d$%s' % (n, salt, r, p, base64.b64encode(dk).decode('ascii'))
# Keycloak's realm export: secretData and credentialData are JSON strings; PBKDF2 of the UTF-8
# password (Java's PBKDF2WithHmacSHA*), 64-byte key, Keycloak's default iterations.
def keycloak(algorithm, digest, iterations):
    salt = os.urandom(16)
    value = hashlib.pbkdf2_hmac(digest, raw, salt, iterations, dklen=64)
    return json.dumps({
        'id': '5c6e1b0a', 'type': 'password', 'createdDate': 1700000000000,
        'secretData': json.dumps({'value': base64.b64encode(value).decode(), 'salt': base64.b64encode(salt).decode(), 'additionalParameters': {}}),
        'credentialData': json.dumps({'hashIterations': iterations, 'algorithm': algorithm, 'additionalParameters': {}}),
    })
out['keycloak-pbkdf2-sha256'] = keycloak('pbkdf2-sha256', 'sha256', 27500)
out['keycloak-pbkdf2-sha512'] = keycloak('pbkdf2-sha512', 'sha512', 210000)
print(json.dumps(out))
`;

const PHP_MAKE = `
$pw = stream_get_contents(STDIN);
echo json_encode([
  'php-bcrypt-2y' => password_hash($pw, PASSWORD_DEFAULT),
  'php-argon2id' => password_hash($pw, PASSWORD_ARGON2ID),
  'php-argon2i' => password_hash($pw, PASSWORD_ARGON2I),
]);
`;

function run(command: string, args: string[], input: string): Record<string, string> {
  const r = spawnSync(command, args, { input, encoding: 'utf8' });
  if (r.status !== 0)
    throw new Error(`${command} could not make the reference hashes (${INSTALL_HINT}): ${r.error?.message ?? ''}${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, string>;
}

/** Hashes of `password` by label: `<family or maker>-<variant>` (see PY_MAKE and PHP_MAKE). */
export function referenceHashes(password: string): Record<string, string> {
  return { ...run('/usr/bin/python3', ['-c', PY_MAKE], password), ...run('php', ['-r', PHP_MAKE], password) };
}

/** python3-bcrypt's hash of `password` (any bytes), cost 4. */
export function pythonBcrypt(password: Buffer): string {
  const py = 'import bcrypt, sys; sys.stdout.write(bcrypt.hashpw(sys.stdin.buffer.read(), bcrypt.gensalt(4)).decode())';
  const r = spawnSync('/usr/bin/python3', ['-c', py], { input: password, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3-bcrypt failed (${INSTALL_HINT}): ${r.stderr}`);
  return r.stdout;
}

/** Whether argon2-cffi (python3-argon2) verifies `password` against a PHC string. */
export function argon2CffiVerifies(stored: string, password: string): boolean {
  const py = [
    'import sys, argon2',
    'stored, pw = sys.stdin.buffer.read().decode("utf-8").split("\\n", 1)',
    'try:',
    '    print(argon2.PasswordHasher().verify(stored, pw))',
    'except argon2.exceptions.VerifyMismatchError:',
    '    print(False)',
  ].join('\n');
  const r = spawnSync('/usr/bin/python3', ['-c', py], { input: `${stored}\n${password}`, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`argon2-cffi failed (${INSTALL_HINT}): ${r.stderr}`);
  return r.stdout.trim() === 'True';
}

/** The firebase/scrypt README's test vector (shared/accounts.md §2.2): the project's parameters and one user. */
export const FIREBASE_VECTOR = {
  params: `hash_config {
  algorithm: SCRYPT,
  base64_signer_key: jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==,
  base64_salt_separator: Bw==,
  rounds: 8,
  mem_cost: 14,
}
`,
  password: 'user1password',
  salt: '42xEC+ixf3L2lw==',
  passwordHash: 'lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==',
};
