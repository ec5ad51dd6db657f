import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateEnforceGates, type GateInput } from '../../../src/core/migration/enforce-gates.js';
import { etcdVersionBreaksPatroniAuthRule } from '../../../src/core/audit/rules/etcd-version-breaks-patroni-auth.js';
import { authSafetyOf, blocksAuthSwitch } from '../../../src/core/versions/auth-safety.js';
import { check, etcdFacts, restApi, snapshot } from '../audit/snapshot-builder.js';

const PAIRS: Array<[patroni: string, etcd: string]> = [
  ['3.0.2', '3.4.23'],
  ['3.0.2', '3.4.41'],
  ['3.0.2', '3.4.42'],
  ['3.0.2', '3.5.21'],
  ['3.0.2', '3.6.10'],
  ['3.3.0', '3.4.23'],
  ['4.1.1', '3.6.10'],
  ['4.1.1', '3.6.9'],
];

function gateBlocks(patroni: string, etcd: string): boolean {
  const id = '/service/alpha/alpha-1';
  const input: GateInput = {
    members: [
      { namespace: '/service/', scope: 'alpha', name: 'alpha-1', apiUrl: undefined, role: 'leader', managedHere: true },
    ],
    tenantUsers: new Map([['/service/alpha', 'patroni-alpha']]),
    readiness: new Map([
      [
        id,
        {
          namespace: '/service/',
          scope: 'alpha',
          member: 'alpha-1',
          username: 'patroni-alpha',
          configSha256: 'x',
          host: 'h',
          appliedAt: '2026-01-01T00:00:00Z',
        },
      ],
    ]),
    unreachable: new Map(),
    patroniVersions: new Map([[id, patroni]]),
    tokenType: 'simple',
    etcdVersions: [etcd],
    adminCredentialsWork: true,
  };
  return evaluateEnforceGates(input).some((failure) => failure.gate === 'etcd-version');
}

function auditFires(patroni: string, etcd: string): boolean {
  const facts = etcdFacts({ versions: [{ endpoint: 'e1', version: etcd }] });
  facts.clusters[0]!.members[0]!.patroniVersion = patroni;
  return (
    check(
      etcdVersionBreaksPatroniAuthRule,
      snapshot({ live: { etcd: facts, restApis: [restApi('/service/alpha/alpha-1', { patroniVersion: patroni })] } }),
    ).length > 0
  );
}

describe('one source of truth for the safety of etcd auth per Patroni × etcd pair', () => {
  for (const [patroni, etcd] of PAIRS) {
    it(`the enforce gate and the audit say what the matrix says for Patroni ${patroni} with etcd ${etcd}`, () => {
      const matrix = blocksAuthSwitch(authSafetyOf(patroni, etcd));
      assert.equal(gateBlocks(patroni, etcd), matrix, 'enforce gate');
      assert.equal(auditFires(patroni, etcd), matrix, 'audit --live rule');
    });
  }

  it("the lab's pair (Patroni 3.0.2, etcd 3.4.23) does not block, and its verdict says it was tested on this stack", () => {
    const safety = authSafetyOf('3.0.2', '3.4.23');
    assert.equal(blocksAuthSwitch(safety), false);
    assert.equal(safety.evidence, 'tested-here');
  });
});
