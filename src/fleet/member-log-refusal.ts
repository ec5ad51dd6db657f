import { open, stat } from 'node:fs/promises';
import { definiteDcsRefusal, describeDcsLogCause, etcdSlowInLog } from '../core/migration/dcs-log-diagnosis.js';
import { type FleetMember, memberId } from '../core/migration/fleet-member.js';
import type { LocalInstance } from '../node/local-instances.js';

/** At most this much of a log is read per look: the probes last seconds. */
const MAX_READ_BYTES = 256 * 1024;

/** What a member's log says since the probes began. */
export interface MemberLogReading {
  /** Why its DCS writes are refused, when the log names it beyond doubt. */
  refusal: string | undefined;
  /** Its etcd requests timed out: etcd was slow to answer, which says nothing about its credentials. */
  etcdSlow: boolean;
}

/**
 * Reads what each member managed on this host has logged since this call,
 * and says why its DCS writes are refused when the log names it beyond doubt
 * (wrong password, no credentials, role without the prefix), or that etcd
 * was too slow to answer it. Members on other hosts, or without a log, have
 * no answer.
 */
export async function logRefusalSince(
  instances: readonly LocalInstance[],
): Promise<(member: FleetMember) => Promise<MemberLogReading | undefined>> {
  const marks = new Map<string, { file: string; offset: number }>();
  await Promise.all(
    instances.map(async (instance) => {
      if (!instance.logFile) return;
      const size = await stat(instance.logFile).then(
        (info) => info.size,
        () => 0,
      );
      marks.set(`${instance.namespace}${instance.scope}/${instance.node}`, { file: instance.logFile, offset: size });
    }),
  );
  return async (member) => {
    const mark = marks.get(memberId(member));
    if (!mark) return undefined;
    const lines = (await readFrom(mark.file, mark.offset)).split('\n');
    const cause = definiteDcsRefusal(lines);
    return {
      refusal: cause ? describeDcsLogCause(cause, memberId(member)) : undefined,
      etcdSlow: etcdSlowInLog(lines),
    };
  };
}

async function readFrom(file: string, offset: number): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const start = Math.max(offset, size - MAX_READ_BYTES);
    if (size <= start) return '';
    const buffer = Buffer.alloc(size - start);
    await handle.read(buffer, 0, buffer.length, start);
    return buffer.toString('utf8');
  } finally {
    await handle.close();
  }
}
