import { PgfleetError } from '../errors.js';

export type InstanceService = 'background' | 'systemd';

const MARKER = 'pgfleet-instance/v1';

/**
 * What pgfleet records about an instance it created, beside its data
 * directory: how Patroni runs, and whether the creation finished. A record
 * left in `creating` by a pgfleet process that is gone marks the leftovers
 * of an interrupted create, which the next create may clear.
 */
export interface InstanceRecord {
  marker: typeof MARKER;
  name: string;
  scope: string;
  node: string;
  service: InstanceService;
  phase: 'creating' | 'ready';
  /** The create was bootstrapping a new cluster: its leftovers in etcd are this create's own. */
  bootstrap: boolean;
  /** pid of the pgfleet process that created it. */
  creatorPid: number;
  createdAt: string;
}

export function newInstanceRecord(
  fields: Omit<InstanceRecord, 'marker' | 'phase' | 'createdAt'>,
  now = new Date(),
): InstanceRecord {
  return { marker: MARKER, phase: 'creating', createdAt: now.toISOString(), ...fields };
}

export function parseInstanceRecord(text: string, file: string): InstanceRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new PgfleetError('INSTANCE_RECORD_INVALID', `${file} is not valid JSON`, {
      hint: 'restore it, or drop and recreate the instance',
    });
  }
  const record = value as Partial<InstanceRecord>;
  if (
    record?.marker !== MARKER ||
    typeof record.name !== 'string' ||
    (record.service !== 'background' && record.service !== 'systemd') ||
    (record.phase !== 'creating' && record.phase !== 'ready') ||
    typeof record.creatorPid !== 'number'
  ) {
    throw new PgfleetError(
      'INSTANCE_RECORD_INVALID',
      `${file} is not a pgfleet instance record (marker ${MARKER}, name, service, phase, creatorPid)`,
      { hint: 'restore it, or drop and recreate the instance' },
    );
  }
  return { ...record, bootstrap: record.bootstrap === true } as InstanceRecord;
}

/** True when the record is what an interrupted create left: still `creating`, and its creator is gone. */
export function isInterruptedCreate(record: InstanceRecord, creatorAlive: (pid: number) => boolean): boolean {
  return record.phase === 'creating' && !creatorAlive(record.creatorPid);
}
