import type { Deps } from '../../app/deps.ts';
import { openSealedText, sealToText } from '../../keys/master-key.ts';
import { openTotpSecret, sealTotpSecret } from '../../mfa/second-factor.ts';
import { secretContext } from '../../webhooks/delivery.ts';
import type { Row } from './store.ts';

/**
 * Columns sealed with the instance's master key that a tenant export carries. The master key never leaves its
 * instance, so such a value is opened on export (the archive itself is sealed under the passphrase) and sealed
 * again with the target's master key on import, under the same associated data the owning context uses.
 */
interface SealedColumn {
  table: string;
  column: string;
  open(deps: Deps, row: Row, sealed: string): string;
  seal(deps: Deps, row: Row, clear: string): string;
}

const SEALED_COLUMNS: SealedColumn[] = [
  {
    table: 'webhooks',
    column: 'secret_sealed',
    open: (deps, row, sealed) => openSealedText(deps.masterKeys, sealed, secretContext(row.id as string)),
    seal: (deps, row, clear) => sealToText(deps.masterKeys, clear, secretContext(row.id as string)),
  },
  {
    table: 'mfa_totp',
    column: 'secret_sealed',
    open: (deps, row, sealed) => openTotpSecret(deps, row.user_id as string, sealed),
    seal: (deps, row, clear) => sealTotpSecret(deps, row.user_id as string, clear),
  },
];

/** In the archive, an opened value is `{ "$unsealed": … }`, so the import knows to seal it and nothing else. */
interface Unsealed {
  $unsealed: string;
}

function isUnsealed(value: unknown): value is Unsealed {
  return typeof value === 'object' && value !== null && typeof (value as Unsealed).$unsealed === 'string';
}

/** Opens the known sealed columns of `table`'s rows (on export). */
export function openSealedColumns(deps: Deps, table: string, rows: Row[]): Row[] {
  const columns = SEALED_COLUMNS.filter((c) => c.table === table);
  if (columns.length === 0) return rows;
  return rows.map((row) => {
    const opened = { ...row };
    for (const c of columns) if (typeof row[c.column] === 'string') opened[c.column] = { $unsealed: c.open(deps, row, row[c.column] as string) } satisfies Unsealed;
    return opened;
  });
}

/** Seals the opened values of one row with this instance's master key (on import). */
export function resealColumns(deps: Deps, table: string, row: Row): Row {
  const columns = SEALED_COLUMNS.filter((c) => c.table === table);
  if (columns.length === 0) return row;
  const sealed = { ...row };
  for (const c of columns) if (isUnsealed(row[c.column])) sealed[c.column] = c.seal(deps, row, (row[c.column] as Unsealed).$unsealed);
  return sealed;
}
