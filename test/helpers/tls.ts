/**
 * A throwaway PKI for the TLS tests, made with the `openssl` command in a private temp
 * directory: a test CA, a server certificate for 127.0.0.1, a client certificate, an
 * unrelated "wrong" CA, and a server certificate whose names do not cover 127.0.0.1.
 * EC P-256 keys, so generating all of it takes a few tens of milliseconds.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedis, type RedisServer, type TlsServerFiles } from './redis-server.js';

export interface CertFiles {
  cert: string;
  key: string;
}

export interface TestPki {
  dir: string;
  /** The CA that signed `server`, `mismatch` and `client`. */
  ca: CertFiles;
  /** Server certificate valid for IP:127.0.0.1 and DNS:localhost. */
  server: CertFiles;
  /** Server certificate signed by `ca` whose names do NOT include 127.0.0.1 or localhost. */
  mismatch: CertFiles;
  /** Client certificate signed by `ca` (extendedKeyUsage clientAuth). */
  client: CertFiles;
  /** An unrelated self-signed CA: nothing here is signed by it except `wrongClient`. */
  wrongCa: CertFiles;
  /** A client certificate signed by `wrongCa`. */
  wrongClient: CertFiles;
  cleanup(): void;
}

// Our own config, so nothing depends on the system openssl.cnf.
const OPENSSL_CNF = `
[req]
distinguished_name = dn
prompt = no
[dn]
CN = redis-accounts test
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth,clientAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
authorityKeyIdentifier = keyid
[mismatch]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth,clientAuth
subjectAltName = DNS:wrong-host.invalid,IP:192.0.2.1
authorityKeyIdentifier = keyid
[client]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
authorityKeyIdentifier = keyid
`;

function openssl(dir: string, args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (r.error) throw new Error(`cannot run openssl (is it installed? Debian: apt-get install openssl): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed (exit ${r.status}):\n${r.stderr}`);
}

function serial(): string {
  return `0x${randomBytes(8).toString('hex')}`;
}

/** Generate the whole PKI. Call once per test file (beforeAll) and `cleanup()` in afterAll. */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'ra-pki-'));
  const cnf = join(dir, 'openssl.cnf');
  writeFileSync(cnf, OPENSSL_CNF);
  const files = (name: string): CertFiles => ({ cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) });
  const genKey = (f: CertFiles) => openssl(dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', f.key]);

  const selfSignedCa = (name: string, cn: string): CertFiles => {
    const f = files(name);
    genKey(f);
    openssl(dir, [
      'req',
      '-config',
      cnf,
      '-x509',
      '-new',
      '-key',
      f.key,
      '-subj',
      `/CN=${cn}`,
      '-days',
      '2',
      '-set_serial',
      serial(),
      '-extensions',
      'v3_ca',
      '-out',
      f.cert,
    ]);
    return f;
  };
  const signed = (name: string, cn: string, ca: CertFiles, section: string): CertFiles => {
    const f = files(name);
    genKey(f);
    const csr = join(dir, `${name}.csr`);
    openssl(dir, ['req', '-config', cnf, '-new', '-key', f.key, '-subj', `/CN=${cn}`, '-out', csr]);
    openssl(dir, [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      ca.cert,
      '-CAkey',
      ca.key,
      '-set_serial',
      serial(),
      '-days',
      '2',
      '-extfile',
      cnf,
      '-extensions',
      section,
      '-out',
      f.cert,
    ]);
    return f;
  };

  try {
    const ca = selfSignedCa('ca', 'redis-accounts test CA');
    const wrongCa = selfSignedCa('wrong-ca', 'redis-accounts unrelated CA');
    return {
      dir,
      ca,
      wrongCa,
      server: signed('server', '127.0.0.1', ca, 'server'),
      mismatch: signed('mismatch', 'wrong-host.invalid', ca, 'mismatch'),
      client: signed('client', 'redis-accounts test client', ca, 'client'),
      wrongClient: signed('wrong-client', 'redis-accounts stranger', wrongCa, 'client'),
      cleanup: () => rmSync(dir, { recursive: true, force: true }),
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** The startRedis `tls` option for a server presenting `cert` and trusting `pki.ca` for clients. */
export function serverTls(pki: TestPki, opts: { cert?: CertFiles; requireClientCert?: boolean } = {}): TlsServerFiles {
  const cert = opts.cert ?? pki.server;
  return {
    cert: cert.cert,
    key: cert.key,
    ca: pki.ca.cert,
    requireClientCert: opts.requireClientCert ?? false,
    // Lets the readiness check complete a full handshake when client certs are required.
    clientCert: pki.client.cert,
    clientKey: pki.client.key,
  };
}

/**
 * startRedis with TLS, failing with a clear message when this machine's redis-server
 * was built without TLS support (Debian's has it; a plain `make` without BUILD_TLS=yes does not).
 */
export async function startTlsRedis(pki: TestPki, opts: { cert?: CertFiles; requireClientCert?: boolean } = {}): Promise<RedisServer> {
  try {
    return await startRedis({ tls: serverTls(pki, opts) });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/TLS not supported|Failed to configure TLS|tls-port|Bad directive/i.test(message)) {
      throw new Error(
        `this machine's redis-server has no TLS support, which the TLS tests need (build with BUILD_TLS=yes, or install Debian's redis-server):\n${message}`,
        { cause: err },
      );
    }
    throw err;
  }
}
