import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KeyBucketing } from '../../../src/core/census/key-bucket.js';
import { KeyspaceTally, OVERFLOW_PREFIX } from '../../../src/core/census/keyspace-tally.js';

const tallyOf = (
  entries: Array<[string, number, string?]>,
  options: ConstructorParameters<typeof KeyspaceTally>[0] = {},
) => {
  const tally = new KeyspaceTally(options);
  for (const [key, modRevision, lease] of entries) tally.add({ key, modRevision, lease });
  return tally.summary();
};

describe('the keyspace tally', () => {
  it('finds a Patroni cluster under any prefix, with its members, their leases and its leader lease', () => {
    const summary = tallyOf([
      ['/postgresql-common/15-main/config', 3],
      ['/postgresql-common/15-main/initialize', 2],
      ['/postgresql-common/15-main/leader', 9, '11'],
      ['/postgresql-common/15-main/members/n1', 9, '11'],
      ['/postgresql-common/15-main/members/n2', 8, '12'],
    ]);
    assert.equal(summary.patroniClusters.length, 1);
    const [cluster] = summary.patroniClusters;
    assert.equal(cluster!.base, '/postgresql-common/15-main/');
    assert.deepEqual(cluster!.keyKinds, ['members', 'leader', 'config', 'initialize']);
    assert.deepEqual(
      cluster!.members.map((member) => [member.name, member.lease]),
      [
        ['n1', '11'],
        ['n2', '12'],
      ],
    );
    assert.deepEqual(cluster!.leaderLeases, ['11']);
    assert.equal(cluster!.maxModRevision, 9);
    assert.deepEqual(summary.prefixes, []);
  });

  it('counts a lone config or status key as an ordinary key of its prefix, not as a cluster', () => {
    const summary = tallyOf([
      ['/app/web/config', 4],
      ['/app/web/status', 5],
      ['/app/web/users', 6],
    ]);
    assert.deepEqual(summary.patroniClusters, []);
    assert.deepEqual(
      summary.prefixes.map((prefix) => [prefix.prefix, prefix.keyCount, prefix.maxModRevision]),
      [['/app/web/', 3, 6]],
    );
  });

  it('counts per prefix the keys, the latest revision, the keys written since the given revision and the leased keys', () => {
    const summary = tallyOf(
      [
        ['/jobs/a/1', 5],
        ['/jobs/a/2', 12, '77'],
        ['/jobs/b/1', 3],
      ],
      { writtenSince: 10 },
    );
    assert.deepEqual(
      summary.prefixes.map(({ prefix, keyCount, maxModRevision, writtenKeys, leasedKeys, leases }) => ({
        prefix,
        keyCount,
        maxModRevision,
        writtenKeys,
        leasedKeys,
        leases,
      })),
      [
        { prefix: '/jobs/a/', keyCount: 2, maxModRevision: 12, writtenKeys: 1, leasedKeys: 1, leases: ['77'] },
        { prefix: '/jobs/b/', keyCount: 1, maxModRevision: 3, writtenKeys: 0, leasedKeys: 0, leases: [] },
      ],
    );
    assert.equal(summary.keyCount, 3);
  });

  it('keeps a cluster and the other keys of its prefix apart', () => {
    const summary = tallyOf([
      ['/service/alpha/members/a1', 2],
      ['/service/alpha/custom-app-key', 3],
    ]);
    assert.deepEqual(
      summary.patroniClusters.map((cluster) => [cluster.base, cluster.keyCount]),
      [['/service/alpha/', 1]],
    );
    assert.deepEqual(
      summary.prefixes.map((prefix) => [prefix.prefix, prefix.keyCount]),
      [['/service/alpha/', 1]],
    );
  });

  it('stays bounded: past the prefix cap keys fold into their parent, flagged as folded', () => {
    const entries: Array<[string, number]> = [];
    for (let index = 0; index < 50; index += 1) entries.push([`/many/p${index}/k`, index + 1]);
    const summary = tallyOf(entries, { maxPrefixes: 10 });
    assert.equal(summary.keyCount, 50);
    assert.equal(summary.prefixes.length, 11);
    assert.equal(
      summary.prefixes.reduce((sum, prefix) => sum + prefix.keyCount, 0),
      50,
    );
    const parent = summary.prefixes.find((prefix) => prefix.prefix === '/many/');
    assert.deepEqual([parent?.keyCount, parent?.folded, parent?.maxModRevision], [40, true, 50]);
    assert.equal(summary.prefixesFolded, 40);
  });

  it('stays bounded when the parents are too many as well: the rest goes to one overflow prefix', () => {
    const entries: Array<[string, number]> = Array.from({ length: 30 }, (_, index) => [`/top${index}/x/k`, 1]);
    const summary = tallyOf(entries, { maxPrefixes: 2 });
    assert.ok(summary.prefixes.length <= 5, `${summary.prefixes.length} prefixes`);
    assert.equal(summary.prefixes.find((prefix) => prefix.prefix === OVERFLOW_PREFIX)?.keyCount, 26);
    assert.equal(
      summary.prefixes.reduce((sum, prefix) => sum + prefix.keyCount, 0),
      30,
    );
  });

  it('lists at most so many members of a cluster and counts the rest', () => {
    const entries: Array<[string, number]> = Array.from({ length: 5 }, (_, index) => [
      `/service/big/members/m${index}`,
      1,
    ]);
    const [cluster] = tallyOf(entries, { maxMembersListed: 3 }).patroniClusters;
    assert.equal(cluster!.members.length, 3);
    assert.equal(cluster!.membersNotListed, 2);
  });

  it('counts keys under a hinted tenant prefix there', () => {
    const summary = tallyOf(
      [
        ['/x/y/zeta/app/1', 1],
        ['/x/y/other', 2],
      ],
      { bucketing: new KeyBucketing({ hints: ['/x/y/zeta/'] }) },
    );
    assert.deepEqual(
      summary.prefixes.map((prefix) => prefix.prefix),
      ['/x/y/', '/x/y/zeta/'],
    );
  });

  it('counts the writes the census saw on the cluster or the prefix of their key, creating the prefix of deleted keys', () => {
    const tally = new KeyspaceTally();
    tally.add({ key: '/service/alpha/members/a1', modRevision: 3, lease: '9' });
    tally.noteWrite('/service/alpha/members/a1');
    tally.noteWrite('/service/alpha/leader');
    tally.noteWrite('/gone/keys/1');
    const summary = tally.summary();
    assert.deepEqual(
      summary.patroniClusters.map((cluster) => [cluster.base, cluster.keyCount, cluster.writesObserved]),
      [['/service/alpha/', 1, 2]],
    );
    assert.deepEqual(
      summary.prefixes.map((prefix) => [prefix.prefix, prefix.keyCount, prefix.writesObserved]),
      [['/gone/keys/', 0, 1]],
    );
    assert.equal(summary.keyCount, 1);
  });

  it('gives the same summary when asked twice, and refuses keys after it', () => {
    const tally = new KeyspaceTally();
    tally.add({ key: '/lonely/config', modRevision: 1 });
    const first = tally.summary();
    assert.deepEqual(tally.summary(), first);
    assert.equal(first.prefixes[0]?.keyCount, 1);
    assert.throws(() => tally.add({ key: '/a', modRevision: 2 }));
  });
});
