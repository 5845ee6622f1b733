/**
 * The exports `user import` reads, made at test time by the tools that write them where they
 * run here (Debian's packages, see .ci/run): Django's `dumpdata` in a real Django project
 * (settings, migrations and an sqlite database in a temporary folder), htpasswd files by
 * passlib's HtpasswdFile, PHP's password_hash, and a Keycloak realm export's credentials
 * computed with Python's hashlib as Keycloak computes them.
 */
import { spawnSync } from 'node:child_process';

const INSTALL_HINT = 'apt-get install python3-django python3-passlib python3-bcrypt php-cli (CI installs them in .ci/run)';

function run(command: string, args: string[], input: string): string {
  const r = spawnSync(command, args, { input, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`${command} could not make the export (${INSTALL_HINT}): ${r.error?.message ?? ''}${r.stderr}`);
  return r.stdout;
}

export interface DjangoUser {
  name: string;
  /** null: set_unusable_password(). */
  password: string | null;
  hasher?: 'pbkdf2_sha256' | 'pbkdf2_sha1' | 'bcrypt_sha256' | 'bcrypt' | 'argon2';
  active?: boolean;
}

const DJANGO_DUMP = String.raw`
import json, os, sys, tempfile
from django.conf import settings
folder = tempfile.mkdtemp()
settings.configure(
    INSTALLED_APPS=['django.contrib.contenttypes', 'django.contrib.auth'],
    DATABASES={'default': {'ENGINE': 'django.db.backends.sqlite3', 'NAME': os.path.join(folder, 'db.sqlite3')}},
    PASSWORD_HASHERS=[
        'django.contrib.auth.hashers.PBKDF2PasswordHasher',
        'django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher',
        'django.contrib.auth.hashers.BCryptSHA256PasswordHasher',
        'django.contrib.auth.hashers.BCryptPasswordHasher',
        'django.contrib.auth.hashers.Argon2PasswordHasher',
    ],
    USE_TZ=True,
)
import django
django.setup()
from django.core.management import call_command
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
call_command('migrate', verbosity=0)
spec = json.loads(sys.stdin.read())
for u in spec['users']:
    user = User(username=u['name'], is_active=u.get('active', True), email=u['name'] + '@example.org')
    if u['password'] is None:
        user.set_unusable_password()
    else:
        user.password = make_password(u['password'], hasher=u.get('hasher', 'pbkdf2_sha256'))
    user.save()
call_command('dumpdata', 'auth.user', indent=spec.get('indent'), stdout=sys.stdout)
`;

/** `manage.py dumpdata auth.user` of a fresh project holding `users` (indented like `--indent 2` when asked). */
export function djangoDumpdata(users: DjangoUser[], indent?: number): string {
  return run('/usr/bin/python3', ['-c', DJANGO_DUMP], JSON.stringify({ users, indent: indent ?? null }));
}

const HTPASSWD = String.raw`
import json, os, sys, tempfile
from passlib.apache import HtpasswdFile
spec = json.loads(sys.stdin.read())
path = os.path.join(tempfile.mkdtemp(), 'htpasswd')
ht = HtpasswdFile(path, new=True)
for u in spec:
    ht.set_hash(u['name'], ht.context.handler(u['scheme']).hash(u['password']))
ht.save()
sys.stdout.write(open(path).read())
`;

/** An htpasswd file by passlib's HtpasswdFile (schemes: passlib's names, e.g. bcrypt, apr_md5_crypt, ldap_sha1). */
export function passlibHtpasswd(users: Array<{ name: string; password: string; scheme: string }>): string {
  return run('/usr/bin/python3', ['-c', HTPASSWD], JSON.stringify(users));
}

/** PHP's password_hash($password, PASSWORD_DEFAULT): bcrypt `$2y$`, as Apache's htpasswd -B writes it too. */
export function phpBcrypt(password: string): string {
  return run('php', ['-r', 'echo password_hash(stream_get_contents(STDIN), PASSWORD_DEFAULT);'], password);
}

export interface KeycloakUser {
  name: string;
  password: string;
  algorithm: 'pbkdf2-sha256' | 'pbkdf2-sha512' | 'pbkdf2';
  iterations: number;
  enabled?: boolean;
  requiredActions?: string[];
  createdTimestamp?: number;
}

const KEYCLOAK = String.raw`
import base64, hashlib, json, os, sys
spec = json.loads(sys.stdin.read())
digests = {'pbkdf2': 'sha1', 'pbkdf2-sha256': 'sha256', 'pbkdf2-sha512': 'sha512'}
users = []
for u in spec:
    salt = os.urandom(16)
    value = hashlib.pbkdf2_hmac(digests[u['algorithm']], u['password'].encode('utf-8'), salt, u['iterations'], dklen=64)
    users.append({
        'id': os.urandom(8).hex(), 'username': u['name'], 'enabled': u.get('enabled', True),
        'createdTimestamp': u.get('createdTimestamp', 1700000000000), 'totp': False, 'emailVerified': False,
        'credentials': [{
            'id': os.urandom(8).hex(), 'type': 'password', 'userLabel': 'My password', 'createdDate': 1700000000000,
            'secretData': json.dumps({'value': base64.b64encode(value).decode(), 'salt': base64.b64encode(salt).decode(), 'additionalParameters': {}}),
            'credentialData': json.dumps({'hashIterations': u['iterations'], 'algorithm': u['algorithm'], 'additionalParameters': {}}),
        }],
        'requiredActions': u.get('requiredActions', []), 'realmRoles': ['default-roles-test'], 'notBefore': 0, 'groups': [],
    })
realm = {
    'id': 'test', 'realm': 'test', 'enabled': True,
    'roles': {'realm': [{'name': 'default-roles-test', 'composite': True}]},
    'users': users,
    'clients': [{'clientId': 'account', 'redirectUris': ['/realms/test/account/*'], 'attributes': {'a': '[{"users": 1}]'}}],
}
print(json.dumps(realm, indent=2))
`;

/** A Keycloak realm export (`kc.sh export`) whose users' password credentials are computed as Keycloak's PBKDF2 does. */
export function keycloakRealm(users: KeycloakUser[]): string {
  return run('/usr/bin/python3', ['-c', KEYCLOAK], JSON.stringify(users));
}
