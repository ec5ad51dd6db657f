import { LineCounter, isMap, isScalar, parseDocument, type Node } from 'yaml';
import type { ConfigTree } from '../patroni-config/deep-merge.js';
import { redactPasswords } from './redaction.js';

export interface ParsedYamlFacts {
  /** The document with every password a Secret; undefined when it is not a YAML mapping. */
  document?: ConfigTree | undefined;
  problem?: string | undefined;
  /** 1-based line of each key, by dotted path. */
  keyLines: Record<string, number>;
}

/**
 * Parses a Patroni YAML (or template) for the audit: YAML 1.1 as Patroni's
 * PyYAML reads it, passwords turned into Secrets before the document leaves
 * this function, and the line of every key for findings and SARIF.
 */
export function parseAuditedYaml(text: string): ParsedYamlFacts {
  const lineCounter = new LineCounter();
  const parsed = parseDocument(text, { lineCounter, version: '1.1', prettyErrors: false });
  if (parsed.errors.length > 0) {
    const first = parsed.errors[0]!;
    return {
      problem: `not valid YAML at line ${lineCounter.linePos(first.pos[0]).line}: ${first.message.split('\n')[0]}`,
      keyLines: {},
    };
  }
  const value: unknown = parsed.toJS({ maxAliasCount: 100 });
  if (value === null || value === undefined) return { document: {}, keyLines: {} };
  if (typeof value !== 'object' || Array.isArray(value)) return { problem: 'not a YAML mapping', keyLines: {} };
  const keyLines: Record<string, number> = {};
  collectKeyLines(parsed.contents, '', lineCounter, keyLines);
  return { document: redactPasswords(value as ConfigTree), keyLines };
}

function collectKeyLines(node: Node | null, prefix: string, lines: LineCounter, into: Record<string, number>): void {
  if (!isMap(node)) return;
  for (const pair of node.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
    if (key === undefined) continue;
    const path = prefix ? `${prefix}.${key}` : key;
    const offset = (pair.key as Node).range?.[0];
    if (offset !== undefined) into[path] = lines.linePos(offset).line;
    collectKeyLines(pair.value as Node | null, path, lines, into);
  }
}
