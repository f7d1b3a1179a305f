import { readAsset } from '../app/assets.ts';
import type { Sqlite } from './client.ts';

interface JournalEntry {
  idx: number;
  tag: string;
  when: number;
}

export interface Migration {
  tag: string;
  statements: string[];
}

function journalEntries(): JournalEntry[] {
  const journal = JSON.parse(readAsset('migrations/meta/_journal.json')) as { entries: JournalEntry[] };
  return [...journal.entries].sort((a, b) => a.idx - b.idx);
}

/** The tags of the shipped migrations, in order: the journal alone, none of the SQL. */
export function shippedMigrationTags(): string[] {
  return journalEntries().map((e) => e.tag);
}

/** The drizzle-kit migrations shipped with this build, in order. */
export function shippedMigrations(): Migration[] {
  return journalEntries()
    .map((e) => ({
      tag: e.tag,
      statements: readAsset(`migrations/${e.tag}.sql`)
        .split('--> statement-breakpoint')
        .map((s) => s.trim())
        .filter(Boolean),
    }));
}

const LEDGER = 'CREATE TABLE IF NOT EXISTS kimauth_migrations (tag TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)';

/** The tags the data dir has applied; undefined before the first migration made the ledger. */
function appliedTags(sqlite: Sqlite): Set<string> | undefined {
  const hasLedger = sqlite
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'kimauth_migrations'")
    .get();
  if (!hasLedger) return undefined;
  return new Set((sqlite.prepare('SELECT tag FROM kimauth_migrations').all() as { tag: string }[]).map((r) => r.tag));
}

export function pendingMigrations(sqlite: Sqlite, migrations = shippedMigrations()): Migration[] {
  const applied = appliedTags(sqlite);
  return applied ? migrations.filter((m) => !applied.has(m.tag)) : migrations;
}

/** The same answer as pendingMigrations(…).map(tag), without reading any migration's SQL. */
export function pendingMigrationTags(sqlite: Sqlite): string[] {
  const applied = appliedTags(sqlite);
  const tags = shippedMigrationTags();
  return applied ? tags.filter((tag) => !applied.has(tag)) : tags;
}

/**
 * Applies what is pending, each migration in its own IMMEDIATE transaction so that two processes starting
 * on one data dir take turns and the second finds nothing left to do.
 */
export function migrate(sqlite: Sqlite, nowMs: number, migrations?: Migration[]): string[] {
  // Every command that writes starts here: when the ledger has every shipped tag, one query answers, without
  // reading the SQL or taking the write lock once per migration (start time, issue 14).
  if (!migrations && pendingMigrationTags(sqlite).length === 0) return [];
  migrations ??= shippedMigrations();
  sqlite.exec(LEDGER);
  const appliedNow: string[] = [];
  for (const m of migrations) {
    const apply = sqlite.transaction(() => {
      if (sqlite.prepare('SELECT 1 FROM kimauth_migrations WHERE tag = ?').get(m.tag)) return false;
      for (const statement of m.statements) sqlite.exec(statement);
      sqlite.prepare('INSERT INTO kimauth_migrations (tag, applied_at) VALUES (?, ?)').run(m.tag, nowMs);
      return true;
    });
    if (apply.immediate()) appliedNow.push(m.tag);
  }
  return appliedNow;
}
