import Database from 'better-sqlite3';
import { migrate } from '/work/wt/ops/src/db/migrate.ts';
const db = new Database(':memory:');
migrate(db as any, 0);
const tables = db.prepare("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all() as string[];
for (const t of tables) {
  const cols = db.prepare('SELECT name, type, "notnull", pk FROM pragma_table_info(?)').all(t) as any[];
  const fks = db.prepare('SELECT "table", "from", "to" FROM pragma_foreign_key_list(?)').all(t) as any[];
  console.log(`${t}: ${cols.map(c=>c.name+(c.pk?'*':'')+(c.notnull?'':'?')).join(', ')}`);
  console.log(`   FK: ${fks.map(f=>`${f.from}->${f.table}.${f.to??''}`).join(', ')}`);
}
