/** Which lines a text edit touched, by 1-based line number: removed from the old text, added in the new one. */
export interface ChangedLines {
  removed: number[];
  added: number[];
  /** The text gained or lost its final newline (invisible in the line numbers). */
  finalNewlineChanged: boolean;
}

/**
 * The lines that differ between two texts, from a longest common
 * subsequence of lines (common head and tail trimmed first, so a small edit of
 * a long file stays cheap). A replaced line shows as removed and added. What
 * proves an edit was surgical: only the edited keys' lines appear.
 */
export function changedLines(before: string, after: string): ChangedLines {
  const a = splitLines(before);
  const b = splitLines(after);
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head += 1;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail])
    tail += 1;
  const middleA = a.slice(head, a.length - tail);
  const middleB = b.slice(head, b.length - tail);
  // lcs[i][j]: length of the longest common subsequence of middleA[i..] and middleB[j..].
  const lcs = Array.from({ length: middleA.length + 1 }, () => new Array<number>(middleB.length + 1).fill(0));
  for (let i = middleA.length - 1; i >= 0; i -= 1) {
    for (let j = middleB.length - 1; j >= 0; j -= 1) {
      lcs[i]![j] = middleA[i] === middleB[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const removed: number[] = [];
  const added: number[] = [];
  let i = 0;
  let j = 0;
  while (i < middleA.length || j < middleB.length) {
    if (i < middleA.length && j < middleB.length && middleA[i] === middleB[j]) {
      i += 1;
      j += 1;
    } else if (j < middleB.length && (i === middleA.length || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) {
      added.push(head + j + 1);
      j += 1;
    } else {
      removed.push(head + i + 1);
      i += 1;
    }
  }
  const finalNewlineChanged = before.length > 0 && after.length > 0 && before.endsWith('\n') !== after.endsWith('\n');
  return { removed, added, finalNewlineChanged };
}

/** Lines without their terminators; a final newline does not make an extra empty line. */
function splitLines(text: string): string[] {
  if (text.length === 0) return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}
