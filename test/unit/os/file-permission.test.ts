import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type PathEntry, userCanRead } from '../../../src/core/os/file-permission.js';

const dir = (path: string, mode: number, uid = 0, gid = 0): PathEntry => ({ path, mode, uid, gid, isDirectory: true });
const file = (path: string, mode: number, uid = 0, gid = 0): PathEntry => ({
  path,
  mode,
  uid,
  gid,
  isDirectory: false,
});
const postgres = { uid: 106, gids: [112, 110] };

describe('can the Patroni user read a certificate file', () => {
  it('reads a 0644 certificate under open directories', () => {
    assert.deepEqual(userCanRead([dir('/', 0o755), dir('/etc', 0o755), file('/etc/ca.crt', 0o644)], postgres), {
      ok: true,
    });
  });

  it("cannot read root's 0600 key", () => {
    const verdict = userCanRead([dir('/', 0o755), file('/k.key', 0o600)], postgres);
    assert.equal(verdict.ok, false);
    assert.match(!verdict.ok ? verdict.reason : '', /\/k\.key \(mode 0600\) is not readable by uid 106/);
  });

  it('cannot pass a 0700 directory of root, even to a readable file', () => {
    const verdict = userCanRead([dir('/', 0o755), dir('/pki', 0o700), file('/pki/ca.crt', 0o644)], postgres);
    assert.equal(!verdict.ok && verdict.blockedAt, '/pki');
  });

  it('reads through its own or a supplementary group (ssl-cert), and owns its files', () => {
    assert.deepEqual(
      userCanRead([dir('/', 0o755), dir('/ssl', 0o710, 0, 110), file('/ssl/k.key', 0o640, 0, 110)], postgres),
      { ok: true },
    );
    assert.deepEqual(userCanRead([dir('/', 0o755), file('/k.key', 0o600, 106, 112)], postgres), { ok: true });
  });

  it('lets root through everything', () => {
    assert.deepEqual(userCanRead([dir('/', 0o700), file('/k', 0o000)], { uid: 0, gids: [0] }), { ok: true });
  });
});
