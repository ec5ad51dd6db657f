import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  assertCertificateChecks,
  checkCertificateFiles,
  checkHostCovered,
  checkKeyMatch,
  checkSignedByCa,
  checkValidity,
} from '../../src/adapters/pki/certificate-checks.js';
import { PgfleetError } from '../../src/core/errors.js';
import { CLI_PATH, type CliResult, runCli } from '../support/run-cli.js';

const run = promisify(execFile);

/**
 * `pgfleet pki` with the real openssl: files and modes on disk, what Node's
 * own X.509 parser reads from the certificates, and the plan-time checks on
 * broken inputs (wrong key, expired, foreign CA, missing SAN).
 */
describe('pgfleet pki with the system openssl', () => {
  let root: string;
  let dir: string;
  const outputs: CliResult[] = [];
  const cli = async (args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> => {
    const result = await runCli(args, { env });
    outputs.push(result);
    return result;
  };
  const mode = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'pgfleet-pki-'));
    dir = join(root, 'pki');
  });
  after(async () => {
    // Whatever happened, no output ever carried key material.
    for (const output of outputs) assert.doesNotMatch(`${output.stdout}${output.stderr}`, /PRIVATE KEY|BEGIN EC/);
    await rm(root, { recursive: true, force: true });
  });

  it('init creates a CA: a 0700 directory, a 0600 key and a self-signed CA certificate, even under umask 000', async () => {
    // The key must never be wider than 0600, not even before a chmod: run under a permissive umask.
    const { stdout, stderr } = await run(
      'sh',
      [
        '-c',
        'umask 000; exec "$0" "$@"',
        process.execPath,
        CLI_PATH,
        'pki',
        'init',
        '--dir',
        dir,
        '--common-name',
        'lab CA',
      ],
      { env: { ...process.env, NO_COLOR: '1' } },
    );
    outputs.push({ code: 0, stdout, stderr });
    assert.match(stdout, /created the CA in .*\(from --dir\)/);
    assert.equal(await mode(dir), 0o700);
    assert.equal(await mode(join(dir, 'ca.key')), 0o600);
    assert.equal(await mode(join(dir, 'ca.crt')), 0o644);
    const ca = new X509Certificate(await readFile(join(dir, 'ca.crt')));
    assert.equal(ca.ca, true);
    assert.equal(ca.subject, 'CN=lab CA');
    assert.equal(ca.issuer, ca.subject);
    assert.ok(ca.verify(ca.publicKey), 'self-signed');
    assert.equal(ca.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  });

  it('issues a server certificate with the SANs and serverAuth, signed by the CA, as Node reads it', async () => {
    const result = await cli([
      'pki',
      'issue',
      'server',
      'node1',
      '--dir',
      dir,
      '--san',
      '127.0.0.1',
      '--san',
      'localhost',
      '--san',
      '::1',
    ]);
    assert.equal(result.code, 0, result.stderr);
    const cert = new X509Certificate(await readFile(join(dir, 'server', 'node1.crt')));
    const ca = new X509Certificate(await readFile(join(dir, 'ca.crt')));
    assert.equal(cert.subjectAltName, 'IP Address:127.0.0.1, DNS:localhost, IP Address:0:0:0:0:0:0:0:1');
    assert.equal(cert.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(cert.checkHost('localhost'), 'localhost');
    assert.equal(cert.checkIP('10.0.0.1'), undefined);
    assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.1']);
    assert.equal(cert.ca, false);
    assert.ok(cert.checkIssued(ca) && cert.verify(ca.publicKey));
    assert.equal(await mode(join(dir, 'server')), 0o700);
    assert.equal(await mode(join(dir, 'server', 'node1.key')), 0o600);
    // The staging folder is gone: only the two files remain.
    assert.deepEqual((await readdir(join(dir, 'server'))).sort(), ['node1.crt', 'node1.key']);
  });

  it('issues a client certificate (clientAuth, no SAN) and a peer certificate (both usages, SANs)', async () => {
    assert.equal((await cli(['pki', 'issue', 'client', 'ctl', '--dir', dir])).code, 0);
    assert.equal((await cli(['pki', 'issue', 'peer', 'etcd1', '--dir', dir, '--san', '127.0.0.1'])).code, 0);
    const client = new X509Certificate(await readFile(join(dir, 'client', 'ctl.crt')));
    assert.deepEqual(client.keyUsage, ['1.3.6.1.5.5.7.3.2']);
    assert.equal(client.subjectAltName, undefined);
    const peer = new X509Certificate(await readFile(join(dir, 'peer', 'etcd1.crt')));
    assert.deepEqual([...(peer.keyUsage ?? [])].sort(), ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    assert.equal(peer.checkIP('127.0.0.1'), '127.0.0.1');
  });

  it('show --output json lists the CA and every certificate with subject, SANs, issuer, expiry and days left', async () => {
    const result = await cli(['--output', 'json', 'pki', 'show', '--dir', dir]);
    assert.equal(result.code, 0, result.stderr);
    const shown = JSON.parse(result.stdout) as {
      dir: string;
      dirSource: string;
      ca: Record<string, unknown>;
      certificates: Array<Record<string, unknown>>;
    };
    assert.equal(shown.dir, dir);
    assert.equal(shown.dirSource, '--dir');
    assert.equal(shown.ca.subject, 'CN=lab CA');
    assert.deepEqual(
      shown.certificates.map((entry) => [entry.kind, entry.name]),
      [
        ['server', 'node1'],
        ['client', 'ctl'],
        ['peer', 'etcd1'],
      ],
    );
    const server = shown.certificates[0]!;
    assert.deepEqual(server.subjectAltNames, ['IP:127.0.0.1', 'DNS:localhost', 'IP:::1']);
    assert.equal(server.issuer, 'CN=lab CA');
    assert.equal(server.key, 'present');
    assert.equal(server.state, 'valid');
    const expected = Math.floor((Date.parse(String(server.notAfter)) - Date.now()) / 86_400_000);
    assert.ok(Math.abs(Number(server.daysLeft) - expected) <= 1, `daysLeft ${String(server.daysLeft)} vs ${expected}`);
    const text = await cli(['pki', 'show', '--dir', dir]);
    assert.match(text.stdout, /^server +node1 +CN=node1 +IP:127\.0\.0\.1, DNS:localhost, IP:::1 +CN=lab CA/m);
  });

  it('refuses a second CA in the same directory and an existing name without --force; --force issues a new key', async () => {
    const again = await cli(['pki', 'init', '--dir', dir]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /a CA already exists in .* \[PKI_CA_EXISTS\]/);
    const duplicate = await cli(['pki', 'issue', 'client', 'ctl', '--dir', dir]);
    assert.equal(duplicate.code, 2);
    assert.match(duplicate.stderr, /\[PKI_CERT_EXISTS\]\nhint: pass --force/);
    const before = new X509Certificate(await readFile(join(dir, 'client', 'ctl.crt')));
    const forced = await cli(['--output', 'json', 'pki', 'issue', 'client', 'ctl', '--dir', dir, '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.deepEqual((JSON.parse(forced.stdout) as { replaces: string[] }).replaces.length, 2);
    const afterForce = new X509Certificate(await readFile(join(dir, 'client', 'ctl.crt')));
    assert.notEqual(afterForce.serialNumber, before.serialNumber);
    assert.equal(afterForce.publicKey.equals(before.publicKey), false);
    assert.equal((await checkKeyMatch(join(dir, 'client', 'ctl.crt'), join(dir, 'client', 'ctl.key'))).ok, true);
  });

  it('--dry-run shows the plan and the openssl config and writes nothing', async () => {
    const result = await cli([
      '--output',
      'json',
      'pki',
      'issue',
      'server',
      'dry',
      '--dir',
      dir,
      '--san',
      'db.example.com',
      '--dry-run',
    ]);
    assert.equal(result.code, 0, result.stderr);
    const shown = JSON.parse(result.stdout) as { dryRun: boolean; plan: { certFile: string }; opensslConfig: string };
    assert.equal(shown.dryRun, true);
    assert.match(shown.opensslConfig, /^DNS\.1 = db\.example\.com$/m);
    await assert.rejects(stat(shown.plan.certFile));
  });

  it('rejects bad input before running openssl: no SAN, a bad name, no CA, a PKI folder others can enter', async () => {
    const noSan = await cli(['pki', 'issue', 'server', 'node2', '--dir', dir]);
    assert.match(noSan.stderr, /needs at least one --san \[PKI_SAN_REQUIRED\]/);
    const badName = await cli(['pki', 'issue', 'client', '../escape', '--dir', dir]);
    assert.match(badName.stderr, /\[PKI_NAME_INVALID\]/);
    const noCa = await cli(['pki', 'issue', 'client', 'x', '--dir', join(root, 'empty')]);
    assert.match(noCa.stderr, /no CA in .* \[PKI_CA_MISSING\]\nhint: create one first: pgfleet pki init/);
    const open = join(root, 'open');
    await mkdir(open);
    await chmod(open, 0o755);
    const refused = await cli(['pki', 'init', '--dir', open]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /has mode 0755: other users can list or enter .* \[PKI_DIR_PERMISSIONS\]/);
    assert.deepEqual(await readdir(open), []);
  });

  it('takes its directory from $PGFLEET_PKI_DIR, else from the settings prefix, and says which', async () => {
    const fromEnv = await cli(['--output', 'json', 'pki', 'show'], { PGFLEET_PKI_DIR: dir });
    assert.equal(fromEnv.code, 0, fromEnv.stderr);
    assert.equal((JSON.parse(fromEnv.stdout) as { dirSource: string }).dirSource, '$PGFLEET_PKI_DIR');
    const prefix = join(root, 'prefix');
    const settings = join(root, 'settings.yaml');
    await writeFile(settings, `prefix: ${prefix}\n`);
    const init = await cli(['--settings', settings, '--output', 'json', 'pki', 'init'], { PGFLEET_PKI_DIR: '' });
    assert.equal(init.code, 0, init.stderr);
    const created = JSON.parse(init.stdout) as { dir: string; dirSource: string; certFile: string };
    assert.equal(created.dir, join(prefix, 'pki'));
    assert.equal(created.dirSource, 'settings prefix');
    assert.equal(created.certFile, join(prefix, 'pki', 'ca.crt'));
  });

  describe('checks, on purpose-made bad files', () => {
    let other: string;
    let expiredCert: string;

    before(async () => {
      other = join(root, 'other-ca');
      assert.equal((await cli(['pki', 'init', '--dir', other, '--common-name', 'other CA'])).code, 0);
      assert.equal((await cli(['pki', 'issue', 'server', 'node1', '--dir', other, '--san', '127.0.0.1'])).code, 0);
      // An expired certificate, signed by the lab CA: openssl 3.0 takes a negative -days.
      expiredCert = join(root, 'expired.crt');
      const csr = join(root, 'expired.csr');
      await run('openssl', [
        'req',
        '-new',
        '-key',
        join(dir, 'server', 'node1.key'),
        '-subj',
        '/CN=expired',
        '-out',
        csr,
      ]);
      await run('openssl', [
        'x509',
        '-req',
        '-in',
        csr,
        '-CA',
        join(dir, 'ca.crt'),
        '-CAkey',
        join(dir, 'ca.key'),
        '-set_serial',
        '0x42',
        '-days',
        '-1',
        '-out',
        expiredCert,
      ]);
    });

    it('find a certificate that does not match its key', async () => {
      const check = await checkKeyMatch(join(dir, 'server', 'node1.crt'), join(other, 'server', 'node1.key'));
      assert.equal(check.ok, false);
      assert.equal(check.code, 'PKI_KEY_MISMATCH');
      assert.ok(
        check.message.includes(join(dir, 'server', 'node1.crt')) &&
          check.message.includes(join(other, 'server', 'node1.key')),
      );
    });

    it('find an expired certificate, and a valid one that is not valid yet at an earlier date', async () => {
      const expired = await checkValidity(expiredCert);
      assert.equal(expired.code, 'PKI_CERT_EXPIRED');
      assert.match(expired.message, /expired on \d{4}-\d{2}-\d{2}/);
      const early = await checkValidity(join(dir, 'server', 'node1.crt'), new Date(Date.now() - 86_400_000));
      assert.equal(early.code, 'PKI_CERT_NOT_YET_VALID');
    });

    it('find a CA that did not sign the certificate, and accept the one that did even once expired', async () => {
      const foreign = await checkSignedByCa(join(other, 'server', 'node1.crt'), join(dir, 'ca.crt'));
      assert.equal(foreign.code, 'PKI_CERT_NOT_SIGNED_BY_CA');
      assert.match(foreign.message, /openssl verify: unable to get local issuer certificate/);
      // Expiry is its own check; the signature of an expired certificate is still the CA's.
      assert.equal((await checkSignedByCa(expiredCert, join(dir, 'ca.crt'))).ok, true);
    });

    it('find a host the SANs do not cover', async () => {
      assert.equal((await checkHostCovered(join(dir, 'server', 'node1.crt'), '::1')).ok, true);
      const check = await checkHostCovered(join(dir, 'server', 'node1.crt'), '192.0.2.10');
      assert.equal(check.code, 'PKI_SAN_MISSING_HOST');
    });

    it('stop a plan with a PgfleetError naming the file, and report a missing file before openssl runs', async () => {
      const checks = await checkCertificateFiles({
        certFile: expiredCert,
        keyFile: join(dir, 'server', 'node1.key'),
        caFile: join(other, 'ca.crt'),
        hosts: ['127.0.0.1'],
        usage: 'serverAuth',
      });
      assert.deepEqual(
        checks.filter((check) => !check.ok).map((check) => check.code),
        ['PKI_CERT_EXPIRED', 'PKI_CERT_NOT_SIGNED_BY_CA', 'PKI_SAN_MISSING_HOST'],
      );
      assert.throws(
        () => assertCertificateChecks(checks),
        (error: unknown) =>
          error instanceof PgfleetError &&
          error.code === 'PKI_CERT_EXPIRED' &&
          error.message.startsWith(expiredCert) &&
          error.message.endsWith('(and 2 more failed certificate checks)'),
      );
      await assert.rejects(
        checkKeyMatch(join(root, 'nope.crt'), join(dir, 'ca.key')),
        (error: unknown) =>
          error instanceof PgfleetError && error.code === 'PKI_FILE_MISSING' && error.message.includes('nope.crt'),
      );
      await writeFile(join(root, 'garbage.crt'), 'not a certificate\n');
      await assert.rejects(
        checkValidity(join(root, 'garbage.crt')),
        (error: unknown) => error instanceof PgfleetError && error.code === 'PKI_CERT_UNREADABLE',
      );
    });

    it('pki check prints every verdict, exits 1 on a failure and 0 when all pass', async () => {
      const bad = await cli([
        'pki',
        'check',
        '--cert',
        join(dir, 'server', 'node1.crt'),
        '--key',
        join(other, 'server', 'node1.key'),
        '--ca',
        join(other, 'ca.crt'),
        '--host',
        '127.0.0.1',
        '--host',
        'db.example.com',
      ]);
      assert.equal(bad.code, 1);
      assert.match(bad.stdout, /^FAIL +key-match .*\[PKI_KEY_MISMATCH\]$/m);
      assert.match(bad.stdout, /^FAIL +signed-by-ca .*\[PKI_CERT_NOT_SIGNED_BY_CA\]$/m);
      assert.match(bad.stdout, /^FAIL +host-covered .*db\.example\.com/m);
      assert.match(bad.stdout, /^ok +host-covered .*127\.0\.0\.1/m);
      assert.match(bad.stdout, /3 of \d+ checks failed/);
      const good = await cli([
        '--output',
        'json',
        'pki',
        'check',
        '--cert',
        join(dir, 'server', 'node1.crt'),
        '--key',
        join(dir, 'server', 'node1.key'),
        '--ca',
        join(dir, 'ca.crt'),
        '--host',
        'localhost',
        '--usage',
        'server',
      ]);
      assert.equal(good.code, 0, good.stdout);
      const report = JSON.parse(good.stdout) as { ok: boolean; checks: Array<{ check: string; ok: boolean }> };
      assert.equal(report.ok, true);
      assert.deepEqual(
        report.checks.map((check) => check.check),
        ['validity', 'key-match', 'key-file-private', 'validity', 'signed-by-ca', 'usage', 'host-covered'],
      );
      const wrongUsage = await cli(['pki', 'check', '--cert', join(dir, 'client', 'ctl.crt'), '--usage', 'server']);
      assert.equal(wrongUsage.code, 1);
      assert.match(wrongUsage.stdout, /\[PKI_CERT_WRONG_USAGE\]/);
    });

    it('pki check flags a key file other users can read', async () => {
      const key = join(root, 'shared.key');
      await writeFile(key, await readFile(join(dir, 'server', 'node1.key')), { mode: 0o600 });
      await chmod(key, 0o644);
      const result = await cli(['pki', 'check', '--cert', join(dir, 'server', 'node1.crt'), '--key', key]);
      assert.equal(result.code, 1);
      assert.match(
        result.stdout,
        /has mode 0644: other users can read or change the private key \[PKI_KEY_FILE_READABLE\]/,
      );
    });
  });
});
