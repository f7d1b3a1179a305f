import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Deps } from '../../app/deps.ts';
import { AppError, conflict, validationError } from '../../app/errors.ts';
import { computeAuditHmac, GENESIS_HMAC, type Actor, type AuditEntry } from '../../audit/audit-log.ts';
import { publishAuditHeads } from '../../audit/heads.ts';
import { encryptSecret } from '../../keys/master-key.ts';
import { signingKeyAad } from '../../keys/signing-keys.ts';
import { validateSlug } from '../../tenants/tenants.ts';
import { openArchive } from '../archive/sealed-archive.ts';
import {
  deferForeignKeys,
  foreignKeyViolations,
  insertRow,
  signingKeyExists,
  tableColumns,
  tableNames,
  tenantIdBySlug,
  tenantRow,
  userByIdOrEmail,
  type Row,
} from './store.ts';
import { resealColumns } from './sealed-values.ts';
import { decodeRow, READABLE_ARCHIVE_FORMATS, TENANT_MEMBER, type TenantArchive } from './tenant-archive.ts';

export interface ImportTenantInput {
  file: string;
  passphrase: string;
  /** Import under another slug (ids are kept). */
  asSlug?: string;
  actor: Actor;
}

export interface ImportTenantResult {
  tenant: { id: string; slug: string; sourceSlug: string };
  usersCreated: number;
  usersAlreadyPresent: number;
  signingKeys: number;
  auditEntries: number;
  tables: Record<string, number>;
}

/** What an imported user may not bring along: a platform role of the source instance. */
const IMPORTED_GLOBAL_ROLE = 'NONE';

function checkSchema(deps: Deps, archive: TenantArchive): void {
  const present = new Set(tableNames(deps));
  for (const [table, data] of Object.entries(archive.tables)) {
    if (data.rows.length === 0) continue;
    if (!present.has(table)) throw validationError(`This instance has no table ${table} (the archive comes from a newer kimauth); upgrade first`);
    const columns = new Set(tableColumns(deps, table).map((c) => c.name));
    const missing = Object.keys(data.rows[0]).filter((c) => !columns.has(c));
    if (missing.length) throw validationError(`Table ${table} here lacks ${missing.join(', ')} (the archive comes from a newer kimauth); upgrade first`);
  }
}

function entryOf(row: Row): Omit<AuditEntry, 'hmac'> {
  return {
    tenantId: row.tenant_id as string,
    seq: row.seq as number,
    at: row.at as number,
    actorType: row.actor_type as string,
    actorId: row.actor_id as string | null,
    channel: row.channel as string,
    eventType: row.event_type as string,
    targetType: row.target_type as string | null,
    targetId: row.target_id as string | null,
    payload: row.payload as string,
    keyId: row.key_id as string,
    prevHmac: row.prev_hmac as string,
  };
}

/**
 * Recreates an exported tenant in one transaction: a wrong passphrase or a changed byte fails before anything is
 * written, and any clash (tenant id, slug without --as, a user's id or email bound to someone else, a key id)
 * refuses the whole import. Ids are kept; `--as` changes only the slug.
 *
 * The chain: an entry's HMAC is keyed by the source instance's master key, which never leaves it. The entries are
 * therefore re-sealed here, unchanged in content and order, under this instance's key, and a `tenant.imported`
 * entry appended after them records the source chain's last seq and HMAC and its newest signed head (a JWS by the
 * tenant's own, imported, key), so the source's published heads still attest to what was imported. The source
 * heads themselves are not stored (they name the source HMACs); a fresh head is published after the commit.
 */
export async function importTenant(deps: Deps, input: ImportTenantInput): Promise<ImportTenantResult> {
  const sealed = readFileSync(input.file);
  const opened = openArchive(sealed, 'kimauth-tenant-export', { passphrase: input.passphrase });
  const archive = JSON.parse(opened.files.get(TENANT_MEMBER)?.toString('utf8') ?? 'null') as TenantArchive | null;
  if (!archive || !READABLE_ARCHIVE_FORMATS.includes(archive.format)) throw validationError('Not a tenant export this kimauth can read');
  checkSchema(deps, archive);

  const tenantId = archive.tenant.id as string;
  const sourceSlug = archive.tenant.slug as string;
  const slug = input.asSlug?.trim() ?? sourceSlug;
  validateSlug(slug);
  if (tenantRow(deps, tenantId)) {
    throw conflict(
      `A tenant with id ${tenantId} already exists here (exported from this instance, or imported before); ids are kept, so --as cannot help`,
    );
  }
  if (tenantIdBySlug(deps, slug)) {
    throw conflict(input.asSlug ? `A tenant with slug "${slug}" already exists here; choose another --as` : `A tenant with slug "${slug}" already exists here; import it under another slug with --as NEWSLUG`);
  }
  for (const key of archive.signingKeys) if (signingKeyExists(deps, key.kid as string)) throw conflict(`Signing key ${key.kid} already exists here`);

  const users = archive.users.map(decodeRow);
  const newUsers: Row[] = [];
  let usersAlreadyPresent = 0;
  for (const user of users) {
    const matches = userByIdOrEmail(deps, user.id as string, user.email as string);
    const same = matches.length === 1 && matches[0].id === user.id && String(matches[0].email).toLowerCase() === String(user.email).toLowerCase();
    if (same) usersAlreadyPresent++;
    else if (matches.length === 0) newUsers.push({ ...user, global_role: IMPORTED_GLOBAL_ROLE });
    else throw conflict(`User ${user.email} (${user.id}) clashes with another account here (same email or id, not both)`);
  }

  const entries = archive.auditEntries.map(entryOf).sort((a, b) => a.seq - b.seq);
  entries.forEach((e, i) => {
    if (e.seq !== i + 1 || e.tenantId !== tenantId) throw validationError('The archive\'s audit chain is not contiguous; not imported');
  });
  const lastSource = archive.auditEntries.at(-1);
  const lastHead = archive.auditHeads.at(-1);
  const archiveSha256 = createHash('sha256').update(sealed).digest('hex');
  const counts: Record<string, number> = {};

  deps.sqlite.transaction(() => {
    deferForeignKeys(deps);
    insertRow(deps, 'tenants', { ...archive.tenant, slug });
    for (const user of newUsers) insertRow(deps, 'users', user);
    for (const key of archive.signingKeys) {
      const { private_key_pkcs8: pkcs8, ...row } = key;
      insertRow(deps, 'signing_keys', {
        ...decodeRow(row),
        private_key_enc: encryptSecret(deps.masterKeys, Buffer.from(pkcs8, 'base64'), signingKeyAad(key.kid as string)),
        master_key_id: deps.masterKeys.currentId,
      });
    }
    const createdUserIds = new Set(newUsers.map((u) => u.id));
    for (const [table, data] of Object.entries(archive.tables)) {
      // A user's own rows only for accounts created here: one already present keeps its own second factor.
      const rows = data.scope ? data.rows.filter((row) => createdUserIds.has(row[data.scope!.user])) : data.rows;
      for (const row of rows) insertRow(deps, table, resealColumns(deps, table, decodeRow(row)), { orIgnore: data.referenceOnly });
      counts[table] = rows.length;
    }
    // Re-sealed under this instance's current key, content and order unchanged.
    const hmacKey = deps.audit.hmacKey();
    let prevHmac = GENESIS_HMAC;
    for (const entry of entries) {
      const resealed = { ...entry, keyId: deps.masterKeys.currentId, prevHmac };
      const hmac = computeAuditHmac(hmacKey, resealed);
      insertRow(deps, 'audit_entries', {
        tenant_id: resealed.tenantId, seq: resealed.seq, at: resealed.at, actor_type: resealed.actorType, actor_id: resealed.actorId,
        channel: resealed.channel, event_type: resealed.eventType, target_type: resealed.targetType, target_id: resealed.targetId,
        payload: resealed.payload, key_id: resealed.keyId, prev_hmac: resealed.prevHmac, hmac,
      });
      prevHmac = hmac;
    }
    const event = {
      actor: input.actor,
      type: 'tenant.imported',
      target: { type: 'tenant', id: tenantId },
      payload: {
        sourceSlug,
        slug,
        sourcePublicUrl: archive.source.publicUrl,
        exportedAt: archive.exportedAt,
        archiveSha256,
        resealedEntries: entries.length,
        sourceChain: lastSource ? { lastSeq: lastSource.seq, lastHmac: lastSource.hmac, lastKeyId: lastSource.key_id } : { lastSeq: 0, lastHmac: GENESIS_HMAC },
        sourceHeads: { count: archive.auditHeads.length, newest: lastHead ? { seq: lastHead.seq, hmac: lastHead.hmac, publishedAt: lastHead.published_at, jws: lastHead.jws } : null },
        usersCreated: newUsers.length,
        tables: counts,
      },
    };
    deps.audit.append(tenantId, event);
    deps.audit.append(deps.platformTenantId(), event);
    const violations = foreignKeyViolations(deps);
    if (violations.length) {
      const where = [...new Set(violations.map((v) => `${v.table} → ${v.parent}`))].join(', ');
      throw new AppError('conflict', `The archive's rows reference rows this instance does not have (${where}); nothing was imported`);
    }
  })();

  const { failed } = await publishAuditHeads(deps, { tenantId });
  for (const f of failed) deps.logger.error({ tenant: f.slug, err: f.error }, 'head of the imported tenant not published');
  return {
    tenant: { id: tenantId, slug, sourceSlug },
    usersCreated: newUsers.length,
    usersAlreadyPresent,
    signingKeys: archive.signingKeys.length,
    auditEntries: entries.length,
    tables: counts,
  };
}

