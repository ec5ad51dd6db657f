import { describeError } from '../../core/errors.js';
import type { EtcdClient } from './etcd-client.js';

interface WatchMessage {
  result?: {
    created?: boolean;
    canceled?: boolean;
    cancel_reason?: string;
    compact_revision?: string;
    events?: Array<{ type?: string; kv?: { key?: string; mod_revision?: string } }>;
  };
  error?: { message?: string };
}

export interface KeyspaceWriteWatch {
  /** The endpoint the watch runs on: its member counts it as one watcher and one stream. */
  endpoint: string;
  /** Ends the watch; says how many writes it saw and why it stopped early, if it did. */
  stop(): Promise<{ events: number; error: string | undefined }>;
}

/**
 * Watches every write to the keyspace (puts and deletes) from the revision
 * after `fromRevision`, handing each key to `onWrite`: who writes while the
 * census runs, whatever order the keyspace is read in. Values go through the
 * stream (a watch cannot be keys-only) but are never kept: each message is
 * parsed, its keys handed on, and dropped.
 */
export async function watchKeyspaceWrites(
  client: EtcdClient,
  fromRevision: number,
  onWrite: (key: string) => void,
): Promise<KeyspaceWriteWatch> {
  const controller = new AbortController();
  let events = 0;
  let error: string | undefined;
  const everything = Buffer.from([0]).toString('base64');
  let created!: () => void;
  const ready = new Promise<void>((resolve) => {
    created = resolve;
  });
  const opened = await client.openStream(
    '/v3/watch',
    { create_request: { key: everything, range_end: everything, start_revision: String(fromRevision + 1) } },
    (raw) => {
      const message = raw as WatchMessage | undefined;
      if (!message || message.error) {
        error ??= message?.error?.message ?? 'unreadable watch message';
        created();
        return;
      }
      const result = message.result ?? {};
      if (result.created) created();
      if (result.canceled) {
        error ??= result.compact_revision
          ? `revision ${fromRevision + 1} already compacted (now ${result.compact_revision})`
          : (result.cancel_reason ?? 'watch canceled by etcd');
        created();
      }
      for (const event of result.events ?? []) {
        if (!event.kv?.key) continue;
        events += 1;
        onWrite(Buffer.from(event.kv.key, 'base64').toString('utf8'));
      }
    },
    controller.signal,
  );
  const ended = opened.ended.catch((failure: unknown) => {
    error ??= describeError(failure);
  });
  // The watch counts only once etcd has created it; a stream that ends first will not create it.
  await Promise.race([ready, ended]);
  return {
    endpoint: opened.endpoint,
    async stop() {
      controller.abort();
      await ended;
      return { events, error };
    },
  };
}
