import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  compatibilityChecks,
  debianPackageOf,
  installCommand,
  newestPostgresMajorFor,
  parseProgramVersion,
  postgresMajor,
} from '../../../src/doctor/stack-compatibility.js';

describe('doctor: versions of the programs', () => {
  it('reads the version each program prints', () => {
    assert.equal(parseProgramVersion('etcd Version: 3.4.23\nGit SHA: Not provided\nGo Version: go1.19.8'), '3.4.23');
    assert.equal(parseProgramVersion('etcdctl version: 3.4.23\nAPI version: 3.4'), '3.4.23');
    assert.equal(parseProgramVersion('patroni 3.0.2'), '3.0.2');
    assert.equal(parseProgramVersion('patronictl version 3.0.2'), '3.0.2');
    assert.equal(parseProgramVersion('postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)'), '15.18');
    assert.equal(parseProgramVersion('command not found'), undefined);
  });

  it('takes the PostgreSQL major from its version, with two parts before 10', () => {
    assert.equal(postgresMajor('15.18'), '15');
    assert.equal(postgresMajor('9.6.24'), '9.6');
  });
});

describe('doctor: etcd with Patroni', () => {
  it('accepts etcd 3.4.23 with Patroni 3.0.2 (the Debian bookworm pair)', () => {
    const [check] = compatibilityChecks({ etcd: '3.4.23', patroni: '3.0.2' });
    assert.equal(check?.status, 'ok');
  });

  it('flags etcd 3.4.42, 3.5.28 and 3.6.9 with Patroni 3.0.2 as unsupported once auth is on (the matrix says unsafe), with a hint', () => {
    for (const etcd of ['3.4.42', '3.5.28', '3.6.9']) {
      const [check] = compatibilityChecks({ etcd, patroni: '3.0.2' });
      assert.equal(check?.status, 'unsupported', etcd);
      assert.match(check?.hint ?? '', /3\.4\.41/);
    }
  });

  it('says a pair no verified fact covers is not verified rather than guessing', () => {
    for (const [etcd, patroni] of [
      ['3.5.17', '4.0.4'],
      ['3.5.17', '3.0.2'],
    ] as const) {
      const [check] = compatibilityChecks({ etcd, patroni });
      assert.equal(check?.status, 'unknown', `${etcd} with ${patroni}`);
      assert.match(check?.message ?? '', /not verified/);
    }
  });

  it('checks nothing for a program that is missing', () => {
    assert.deepEqual(compatibilityChecks({ patroni: '3.0.2' }), []);
  });
});

describe('doctor: PostgreSQL with Patroni', () => {
  it('knows the newest PostgreSQL major of each Patroni release line', () => {
    assert.equal(newestPostgresMajorFor('3.0.2'), 15);
    assert.equal(newestPostgresMajorFor('3.0.3'), 16);
    assert.equal(newestPostgresMajorFor('3.3.2'), 16);
    assert.equal(newestPostgresMajorFor('4.0.0'), 17);
    assert.equal(newestPostgresMajorFor('4.1.1'), 18);
    assert.equal(newestPostgresMajorFor('1.6.5'), undefined);
  });

  it('accepts PostgreSQL 15 with Patroni 3.0.2 and refuses PostgreSQL 16 with it', () => {
    assert.equal(compatibilityChecks({ postgres: '15.18', patroni: '3.0.2' })[0]?.status, 'ok');
    const tooNew = compatibilityChecks({ postgres: '16.4', patroni: '3.0.2' })[0];
    assert.equal(tooNew?.status, 'unsupported');
    assert.match(tooNew?.message ?? '', /up to 15/);
  });

  it('refuses a PostgreSQL older than 9.3', () => {
    assert.equal(compatibilityChecks({ postgres: '9.2.24', patroni: '3.0.2' })[0]?.status, 'unsupported');
    assert.equal(compatibilityChecks({ postgres: '9.6.24', patroni: '3.0.2' })[0]?.status, 'ok');
  });
});

describe('doctor: what to install', () => {
  it('names the Debian package of each program, PostgreSQL after the major in bin_dir', () => {
    assert.equal(debianPackageOf('etcd', '/usr/lib/postgresql/15/bin'), 'etcd-server');
    assert.equal(debianPackageOf('etcdctl', '/usr/lib/postgresql/15/bin'), 'etcd-client');
    assert.equal(debianPackageOf('patronictl', '/usr/lib/postgresql/15/bin'), 'patroni');
    assert.equal(debianPackageOf('postgres', '/usr/lib/postgresql/16/bin'), 'postgresql-16');
    assert.equal(debianPackageOf('pg_ctl', '/opt/pg/bin'), 'postgresql');
  });

  it('gives one apt-get line without repeats, with sudo when not root', () => {
    assert.equal(
      installCommand(['patroni', 'patroni', 'postgresql-15'], true),
      'apt-get install -y patroni postgresql-15',
    );
    assert.equal(installCommand(['etcd-server'], false), 'sudo apt-get install -y etcd-server');
    assert.equal(installCommand([], true), undefined);
  });
});
