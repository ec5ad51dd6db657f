import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { expandBraces, hasWildcard, segmentMatcher } from '../../../src/core/os/glob-pattern.js';

describe('configured locations as shell patterns', () => {
  it('expands alternatives, nested ones too', () => {
    assert.deepEqual(expandBraces('/etc/patroni/*.{yml,yaml}'), ['/etc/patroni/*.yml', '/etc/patroni/*.yaml']);
    assert.deepEqual(expandBraces('/{a,b{1,2}}/x'), ['/a/x', '/b1/x', '/b2/x']);
    assert.deepEqual(expandBraces('/plain/path.yml'), ['/plain/path.yml']);
  });

  it("matches Debian's member files and not its template or dot files", () => {
    const yml = segmentMatcher('*.yml');
    assert.ok(yml.test('15-main.yml'));
    assert.ok(!yml.test('config.yml.in'));
    assert.ok(!yml.test('.15-main.yml.1a2b.tmp'));
    assert.ok(!yml.test('.hidden.yml'));
    assert.ok(segmentMatcher('.*.yml').test('.hidden.yml'));
  });

  it('supports ? and classes, and treats regex characters literally', () => {
    assert.ok(segmentMatcher('1?-main.yml').test('15-main.yml'));
    assert.ok(segmentMatcher('[0-9][0-9]-*.yml').test('15-main2.yml'));
    assert.ok(!segmentMatcher('[!1]*.yml').test('15-main.yml'));
    assert.ok(!segmentMatcher('a.b').test('axb'));
    assert.ok(segmentMatcher('a+(b)').test('a+(b)'));
  });

  it('tells wildcard segments from plain ones', () => {
    assert.equal(hasWildcard('*.yml'), true);
    assert.equal(hasWildcard('patroni'), false);
  });
});
