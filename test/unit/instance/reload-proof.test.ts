import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  decideReloadProof,
  environmentNamesFor,
  type ReloadProofInput,
  reloadDeadlineSeconds,
  reloadRefusalHint,
  reloadLogEvent,
} from '../../../src/core/instance/reload-proof.js';

const written = {
  realPath: '/etc/patroni/15-main.yml',
  changedPaths: [
    ['etcd3', 'username'],
    ['etcd3', 'password'],
  ],
};
const running = {
  pid: 4242,
  realConfigPath: '/etc/patroni/15-main.yml',
  configIsDirectory: false,
  environmentOverrides: [] as string[],
  startedAfterWrite: false,
};

// Lines as Patroni 3.0.2 logs them with its default format.
const line = (message: string, level = 'INFO'): string => `2026-12-07 10:00:00,000 ${level}: ${message}`;
const haCycle = line('no action. I am (pg1), the leader with the lock');
const reloading = line('Reloading PostgreSQL configuration.');
const unchanged = line('No local configuration items changed.');
const localFailed = line('Exception when reloading local configuration from /etc/patroni/15-main.yml', 'ERROR');
const reloadFailed = line('Failed to reload config_file=/etc/patroni/15-main.yml', 'ERROR');

function input(overrides: Partial<ReloadProofInput>): ReloadProofInput {
  return { written, process: running, logSinceRequest: [], deadlinePassed: false, ...overrides };
}

describe('proof that the running Patroni took the file pgfleet wrote', () => {
  it('is proven by a completed reload cycle after the request that loaded the change', () => {
    const proof = decideReloadProof(input({ logSinceRequest: [haCycle, reloading, haCycle] }));
    assert.equal(proof.status, 'proven');
    assert.equal(proof.status === 'proven' && proof.how, 'reload-loaded-change');
  });

  it('is proven when Patroni re-read the file and already had its content', () => {
    const proof = decideReloadProof(input({ logSinceRequest: [unchanged, reloading, haCycle] }));
    assert.equal(proof.status === 'proven' && proof.how, 'reload-already-had-it');
  });

  it('waits while no reload cycle has run, and gives up unproven after the deadline', () => {
    assert.equal(decideReloadProof(input({ logSinceRequest: [haCycle] })).status, 'waiting');
    assert.equal(decideReloadProof(input({ logSinceRequest: [haCycle], deadlinePassed: true })).status, 'unproven');
  });

  it('waits for the line after "Reloading PostgreSQL configuration." (the DCS client is updated after it)', () => {
    assert.equal(decideReloadProof(input({ logSinceRequest: [reloading] })).status, 'waiting');
    const failed = decideReloadProof(
      input({ logSinceRequest: [reloading, reloadFailed, 'Traceback (most recent call last):'] }),
    );
    assert.equal(failed.status === 'refused' && failed.code, 'RELOAD_FAILED');
  });

  it('refuses a member whose running Patroni reads another file, naming both paths', () => {
    const proof = decideReloadProof(
      input({
        process: { ...running, realConfigPath: '/etc/patroni/15-main.yaml.orig' },
        logSinceRequest: [reloading, haCycle],
      }),
    );
    assert.equal(proof.status, 'refused');
    assert.equal(proof.status === 'refused' && proof.code, 'READS_OTHER_FILE');
    assert.match(
      proof.status === 'refused' ? proof.message : '',
      /reads \/etc\/patroni\/15-main\.yaml\.orig, not \/etc\/patroni\/15-main\.yml/,
    );
  });

  it('refuses when the file could not be loaded: Patroni reloads with its old configuration', () => {
    const proof = decideReloadProof(
      input({ logSinceRequest: [localFailed, 'Traceback (most recent call last):', reloading, haCycle] }),
    );
    assert.equal(proof.status === 'refused' && proof.code, 'FILE_NOT_LOADED');
  });

  it('refuses when a PATRONI_ETCD3_PASSWORD in its environment overrides the file', () => {
    const proof = decideReloadProof(
      input({ process: { ...running, environmentOverrides: ['PATRONI_ETCD3_HOSTS', 'PATRONI_ETCD3_PASSWORD'] } }),
    );
    assert.equal(proof.status === 'refused' && proof.code, 'ENVIRONMENT_OVERRIDE');
    assert.match(proof.status === 'refused' ? proof.message : '', /PATRONI_ETCD3_PASSWORD/);
  });

  it('refuses a Patroni started with a directory of files, or a path that no longer resolves', () => {
    assert.equal(
      decideReloadProof(input({ process: { ...running, realConfigPath: '/etc/patroni', configIsDirectory: true } }))
        .status,
      'refused',
    );
    const gone = decideReloadProof(input({ process: { ...running, realConfigPath: undefined } }));
    assert.equal(gone.status === 'refused' && gone.code, 'CONFIG_UNRESOLVED');
  });

  it('is proven by a restart after the write, without a log', () => {
    const proof = decideReloadProof(
      input({ process: { ...running, startedAfterWrite: true }, logSinceRequest: undefined }),
    );
    assert.equal(proof.status === 'proven' && proof.how, 'started-after-write');
  });

  it('is unproven, never ready, without a readable log, with a rotated log, or without a process', () => {
    assert.equal(decideReloadProof(input({ logSinceRequest: undefined })).status, 'unproven');
    assert.equal(
      decideReloadProof(input({ logSinceRequest: [reloading, haCycle], logRotated: true })).status,
      'unproven',
    );
    assert.equal(decideReloadProof(input({ process: undefined })).status, 'unproven');
  });

  it('judges only the first reload cycle after the request', () => {
    const proof = decideReloadProof(input({ logSinceRequest: [localFailed, reloading, haCycle, reloading, haCycle] }));
    assert.equal(proof.status, 'refused');
  });
});

describe('the facts the proof reads', () => {
  it("classifies Patroni 3.0.2's reload messages whatever the log format", () => {
    assert.equal(reloadLogEvent('[patroni] No local configuration items changed.'), 'local-unchanged');
    assert.equal(reloadLogEvent(reloading), 'reload-started');
    assert.equal(reloadLogEvent(line('No PostgreSQL configuration items changed, nothing to reload.')), 'other');
  });

  it('maps changed keys to the variables that override them', () => {
    assert.deepEqual(environmentNamesFor(['etcd3', 'password']), ['PATRONI_ETCD3_PASSWORD']);
    assert.deepEqual(environmentNamesFor(['postgresql', 'authentication', 'superuser', 'password']), [
      'PATRONI_SUPERUSER_PASSWORD',
    ]);
    assert.deepEqual(environmentNamesFor(['restapi', 'authentication', 'username']), ['PATRONI_RESTAPI_USERNAME']);
    assert.deepEqual(environmentNamesFor(['scope']), ['PATRONI_SCOPE']);
  });

  it('gives every refusal a hint that fixes its cause rather than sending the operator back to apply', () => {
    for (const code of [
      'NOT_RUNNING',
      'CONFIG_UNRESOLVED',
      'READS_OTHER_FILE',
      'READS_DIRECTORY',
      'ENVIRONMENT_OVERRIDE',
      'FILE_NOT_LOADED',
      'RELOAD_FAILED',
    ] as const) {
      const hint = reloadRefusalHint(code);
      assert.ok(hint.length > 20, code);
      assert.doesNotMatch(hint, /\bapply\b/, code);
    }
    assert.match(reloadRefusalHint('READS_OTHER_FILE'), /symlink/);
  });

  it('allows loop_wait plus retry_timeout plus a margin for the reload', () => {
    assert.equal(reloadDeadlineSeconds({ loop_wait: 10, retry_timeout: 10 }), 25);
    assert.equal(reloadDeadlineSeconds({}), 25);
    assert.equal(reloadDeadlineSeconds({ loop_wait: 2, retry_timeout: 4 }), 11);
  });
});
