import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { changedLines } from '../../../../src/core/yaml/line-diff.js';

describe('the lines an edit touched', () => {
  it('reports nothing for identical texts', () => {
    assert.deepEqual(changedLines('a\nb\n', 'a\nb\n'), { removed: [], added: [], finalNewlineChanged: false });
  });

  it('numbers inserted lines in the new text and removed ones in the old', () => {
    assert.deepEqual(changedLines('a\nb\nc\n', 'a\nx\nb\nc\ny\n'), {
      removed: [],
      added: [2, 5],
      finalNewlineChanged: false,
    });
    assert.deepEqual(changedLines('a\nb\nc\n', 'a\nc\n'), { removed: [2], added: [], finalNewlineChanged: false });
  });

  it('shows a replaced line as removed and added at its place', () => {
    assert.deepEqual(changedLines('a\nb\nc\n', 'a\nB\nc\n'), { removed: [2], added: [2], finalNewlineChanged: false });
  });

  it('sees a re-indented comment as a change', () => {
    assert.deepEqual(changedLines('k:\n# c\n  v: 1\n', 'k:\n  # c\n  v: 1\n'), {
      removed: [2],
      added: [2],
      finalNewlineChanged: false,
    });
  });

  it('tells a lost final newline', () => {
    assert.equal(changedLines('a\n', 'a').finalNewlineChanged, true);
  });

  it('finds the one changed line among repeated ones', () => {
    const before = ['x', 'x', 'x', 'y', 'x', 'x'].join('\n');
    const after = ['x', 'x', 'x', 'y', 'z', 'x', 'x'].join('\n');
    assert.deepEqual(changedLines(before, after), { removed: [], added: [5], finalNewlineChanged: false });
  });
});
