import type { KeyspaceTally } from '../../core/census/keyspace-tally.js';
import type { EtcdClient } from './etcd-client.js';

interface RangePage {
  header?: { revision?: string };
  kvs?: Array<{ key: string; mod_revision?: string; lease?: string }>;
  more?: boolean;
}

/** The end of a range that reaches the end of the keyspace. */
const TO_THE_END = Buffer.from([0]).toString('base64');

/**
 * The revision etcd is at: a single-key read of a key that cannot exist,
 * which costs etcd nothing whatever the keyspace holds.
 */
export async function currentRevision(client: EtcdClient): Promise<number> {
  const answer = await client.call<RangePage>('/v3/kv/range', { key: TO_THE_END });
  return Number(answer.header?.revision ?? 0);
}

/**
 * Reads the whole v3 keyspace keys-only, `pageSize` keys a request, each page
 * starting right after the last key of the one before (its bytes plus "\\0":
 * keys are compared as bytes, so the continuation uses the raw key, not its
 * decoding), and hands every key to the tally as it comes: memory stays that
 * of one page, whatever the keyspace holds. etcd returns each key's mod
 * revision and lease even keys-only.
 */
export async function scanKeyspace(
  client: EtcdClient,
  tally: KeyspaceTally,
  options: { pageSize?: number | undefined } = {},
): Promise<{ pages: number; keys: number; lastRevision: number }> {
  const pageSize = options.pageSize ?? 2_000;
  let start = Buffer.from([0]);
  let pages = 0;
  let keys = 0;
  let lastRevision = 0;
  for (;;) {
    const page = await client.call<RangePage>('/v3/kv/range', {
      key: start.toString('base64'),
      range_end: TO_THE_END,
      keys_only: true,
      limit: pageSize,
    });
    pages += 1;
    lastRevision = Number(page.header?.revision ?? lastRevision);
    const kvs = page.kvs ?? [];
    for (const kv of kvs) {
      tally.add({
        key: Buffer.from(kv.key, 'base64').toString('utf8'),
        modRevision: Number(kv.mod_revision ?? 0),
        lease: kv.lease && kv.lease !== '0' ? kv.lease : undefined,
      });
    }
    keys += kvs.length;
    const last = kvs.at(-1);
    if (!page.more || !last) break;
    start = Buffer.concat([Buffer.from(last.key, 'base64'), Buffer.from([0])]);
  }
  return { pages, keys, lastRevision };
}
