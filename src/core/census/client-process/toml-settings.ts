/**
 * The `name = value` settings of a TOML file, whatever table they sit in:
 * enough for confd's `confd.toml` and its templates (strings, string arrays
 * over one or several lines, booleans, numbers). Not a TOML parser.
 */
export function tomlSettings(source: string): Map<string, string | string[]> {
  const settings = new Map<string, string | string[]>();
  const lines = source.split('\n');
  for (let index = 0; index < lines.length; index += 1) {
    const match = /^\s*([A-Za-z0-9_-]+)\s*=\s*(.*)$/.exec(stripComment(lines[index]!));
    if (!match) continue;
    const [, name = '', rest = ''] = match;
    let value = rest.trim();
    if (value.startsWith('[')) {
      while (!value.includes(']') && index + 1 < lines.length) {
        index += 1;
        value += ` ${stripComment(lines[index]!).trim()}`;
      }
      settings.set(
        name,
        [...value.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'/g)].map((item) => item[1] ?? item[2] ?? ''),
      );
    } else {
      settings.set(
        name,
        /^"((?:[^"\\]|\\.)*)"|^'([^']*)'/
          .exec(value)
          ?.slice(1)
          .find((part) => part !== undefined) ?? value,
      );
    }
  }
  return settings;
}

function stripComment(line: string): string {
  // A '#' outside quotes starts a comment.
  let quote: string | undefined;
  for (let index = 0; index < line.length; index += 1) {
    const char = line[index]!;
    if (quote) {
      if (char === quote) quote = undefined;
    } else if (char === '"' || char === "'") {
      quote = char;
    } else if (char === '#') {
      return line.slice(0, index);
    }
  }
  return line;
}
