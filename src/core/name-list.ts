/** `a, b, c, d, e and 7 more`: a list of names short enough for one line of a message. */
export function nameList(names: readonly string[], shown = 5): string {
  return names.length <= shown
    ? names.join(', ')
    : `${names.slice(0, shown).join(', ')} and ${names.length - shown} more`;
}
