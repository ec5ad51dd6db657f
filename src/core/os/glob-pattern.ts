/**
 * Shell-style path patterns for configured file locations
 * (`/etc/patroni/*.yml`, `/srv/*\/patroni.{yml,yaml}`): `*` and `?` within one
 * path segment, `[...]` classes, `{a,b}` alternatives. No `**`. A leading dot
 * is matched only by a pattern that starts with one, as in the shell, so
 * editors' and pgfleet's own temporary files (`.name.yml.tmp`) stay out.
 * Pure: the adapter lists the directories.
 */

/** `{a,b}` alternatives expanded into separate patterns (nested braces included). */
export function expandBraces(pattern: string): string[] {
  const open = pattern.indexOf('{');
  if (open === -1) return [pattern];
  let depth = 0;
  const commas: number[] = [];
  for (let index = open; index < pattern.length; index += 1) {
    const char = pattern[index];
    if (char === '{') depth += 1;
    else if (char === '}') {
      depth -= 1;
      if (depth === 0) {
        const parts: string[] = [];
        let start = open + 1;
        for (const comma of commas) {
          parts.push(pattern.slice(start, comma));
          start = comma + 1;
        }
        parts.push(pattern.slice(start, index));
        const before = pattern.slice(0, open);
        const after = pattern.slice(index + 1);
        return parts.flatMap((part) => expandBraces(`${before}${part}${after}`));
      }
    } else if (char === ',' && depth === 1) commas.push(index);
  }
  return [pattern];
}

/** True when a path segment holds a wildcard and must be matched against a directory listing. */
export function hasWildcard(segment: string): boolean {
  return /[*?[]/.test(segment);
}

/** A regular expression matching one path segment (no `/`) as the shell would. */
export function segmentMatcher(segment: string): RegExp {
  let source = '';
  for (let index = 0; index < segment.length; index += 1) {
    const char = segment[index]!;
    if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else if (char === '[') {
      const close = segment.indexOf(']', index + 2);
      if (close === -1) source += '\\[';
      else {
        const body = segment
          .slice(index + 1, close)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\');
        source += `[${body}]`;
        index = close;
      }
    } else source += char.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  const hidden = segment.startsWith('.') ? '' : '(?!\\.)';
  return new RegExp(`^${hidden}${source}$`);
}
