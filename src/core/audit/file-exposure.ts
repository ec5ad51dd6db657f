import type { FileFacts, FleetSnapshot, YamlDocumentFacts } from './fleet-snapshot.js';
import { secretPaths } from './redaction.js';

/** A file the file rules look at, with whether it holds a secret and who must own it. */
export interface AuditedFile {
  facts: FileFacts;
  what: string;
  /** Dotted keys of the passwords it holds (YAML), or ['(whole file)'] for a secret file. */
  secrets: string[];
  /** Patroni reads it, so it must belong to the Patroni user. */
  readByPatroni: boolean;
  yaml?: YamlDocumentFacts | undefined;
}

/** Patroni YAMLs, secret files, and the site template when it holds a password. */
export function auditedFiles(snapshot: FleetSnapshot): AuditedFile[] {
  const files: AuditedFile[] = [];
  for (const file of snapshot.patroniFiles) {
    // An unreadable document is still a Patroni YAML: it holds the PostgreSQL passwords.
    const secrets = file.document ? secretPaths(file.document) : ['(not parsed)'];
    files.push({
      facts: file,
      what: file.origin === 'argument' ? 'Patroni YAML (--config)' : 'Patroni YAML',
      secrets,
      readByPatroni: true,
      yaml: file,
    });
  }
  for (const secret of snapshot.secretFiles)
    files.push({
      facts: secret,
      what: describeSecretFile(secret.kind, secret.referencedBy),
      secrets: ['(whole file)'],
      readByPatroni: secret.readByPatroni,
    });
  const template = snapshot.template;
  if (template?.document) {
    const secrets = secretPaths(template.document);
    if (secrets.length > 0)
      files.push({ facts: template, what: 'Patroni template', secrets, readByPatroni: false, yaml: template });
  }
  return files;
}

function describeSecretFile(kind: string, referencedBy: string): string {
  const names: Record<string, string> = {
    'etcd-admin-password': 'etcd admin password file',
    'tenant-password': 'tenant password file',
    'private-key': 'private key',
    pgpass: 'pgpass file',
  };
  return `${names[kind] ?? kind} (${referencedBy})`;
}

export function octalMode(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/** Exactly who besides the owner may do what: `its group may read and write it, others may read it`. */
export function accessBeyondOwner(mode: number): string {
  const rights = (bits: number): string[] =>
    [bits & 4 ? 'read' : '', bits & 2 ? 'write' : '', bits & 1 ? 'execute' : ''].filter(Boolean);
  const phrase = (who: string, bits: number): string[] => {
    const granted = rights(bits);
    if (granted.length === 0) return [];
    const list = granted.length === 1 ? granted[0] : `${granted.slice(0, -1).join(', ')} and ${granted.at(-1)}`;
    return [`${who} may ${list} it`];
  };
  const described = [...phrase('its group', (mode >> 3) & 7), ...phrase('others', mode & 7)];
  return described.length > 0 ? described.join(', ') : 'only its owner may access it';
}

export function isWorldReadable(facts: FileFacts): boolean {
  return (facts.mode & 0o004) !== 0;
}

export function ownerLabel(facts: FileFacts): string {
  return facts.ownerName ? `${facts.ownerName} (uid ${facts.uid})` : `uid ${facts.uid}`;
}
