import { createHmac } from 'node:crypto';
import type { Deps } from '../app/deps.ts';
import { deriveKey } from '../keys/master-key.ts';
import { insertAuditEntry, selectLastLink } from './store.ts';

export type ActorType = 'user' | 'operator' | 'system' | 'machine' | 'agent' | 'group' | 'anonymous' | 'api-key' | 'client';
export type Channel = 'http' | 'cli' | 'job';

/** Who did it, and through which door. `id` is a user id, an OS user name (cli), a job name… */
export interface Actor {
  type: ActorType;
  id: string | null;
  channel: Channel;
}

export interface AuditEvent {
  actor: Actor;
  /** Dotted event name: `tenant.created`, `user.signed_in`, `key.rotated`… */
  type: string;
  target?: { type: string; id: string } | null;
  /** Never secrets: no passwords, tokens or key material. */
  payload?: Record<string, unknown>;
}

export interface AuditEntry {
  tenantId: string;
  seq: number;
  at: number;
  actorType: string;
  actorId: string | null;
  channel: string;
  eventType: string;
  targetType: string | null;
  targetId: string | null;
  payload: string;
  keyId: string;
  prevHmac: string;
  hmac: string;
}

export const GENESIS_HMAC = '0'.repeat(64);
export const AUDIT_KEY_PURPOSE = 'audit-hmac-v1';

/** The exact bytes an entry's HMAC covers: every column but the HMAC itself, in a fixed order. */
export function auditMessage(e: Omit<AuditEntry, 'hmac'>): string {
  return JSON.stringify([
    e.tenantId,
    e.seq,
    e.at,
    e.actorType,
    e.actorId,
    e.channel,
    e.eventType,
    e.targetType,
    e.targetId,
    e.payload,
    e.keyId,
    e.prevHmac,
  ]);
}

export function computeAuditHmac(key: Buffer, e: Omit<AuditEntry, 'hmac'>): string {
  return createHmac('sha256', key).update(auditMessage(e)).digest('hex');
}

/** JSON with sorted keys, so the same payload always serialises to the same bytes. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]))
      : v,
  );
}

/**
 * Called synchronously inside every append, after the entry is written — so inside the caller's transaction: what a
 * listener writes (the webhook outbox) commits or rolls back with the change. A listener that throws fails the
 * change. Listeners must not append audit entries themselves.
 */
export type AuditListener = (entry: AuditEntry, event: AuditEvent) => void;

export interface AuditLog {
  /**
   * Appends to the tenant's chain inside the caller's open transaction; throws when there is none, because a
   * change that cannot be audited in its own transaction must not happen.
   */
  append(tenantId: string, event: AuditEvent): AuditEntry;
  /** The HMAC key for a master key id (current when omitted). */
  hmacKey(keyId?: string): Buffer;
  /** Adds a listener for every entry appended from now on (registered when Deps are built); returns its removal. */
  subscribe(listener: AuditListener): () => void;
}

/** What the audit log needs from Deps; it is built before Deps is complete (deps.audit). */
export type AuditLogDeps = Pick<Deps, 'sqlite' | 'statement' | 'masterKeys' | 'clock'>;

export function createAuditLog(deps: AuditLogDeps): AuditLog {
  const { sqlite, masterKeys, clock } = deps;
  const keys = new Map<string, Buffer>();
  const listeners: AuditListener[] = [];
  const hmacKey = (keyId = masterKeys.currentId) => {
    let key = keys.get(keyId);
    if (!key) {
      key = deriveKey(masterKeys, AUDIT_KEY_PURPOSE, keyId);
      keys.set(keyId, key);
    }
    return key;
  };

  return {
    hmacKey,
    subscribe(listener) {
      listeners.push(listener);
      return () => {
        const at = listeners.indexOf(listener);
        if (at >= 0) listeners.splice(at, 1);
      };
    },
    append(tenantId, event) {
      if (!sqlite.inTransaction) {
        throw new Error(`audit: ${event.type} must be appended inside the transaction of its change`);
      }
      const prev = selectLastLink(deps, tenantId);
      const entry: AuditEntry = {
        tenantId,
        seq: prev ? prev.seq + 1 : 1,
        at: clock.nowMs(),
        actorType: event.actor.type,
        actorId: event.actor.id,
        channel: event.actor.channel,
        eventType: event.type,
        targetType: event.target?.type ?? null,
        targetId: event.target?.id ?? null,
        payload: canonicalJson(event.payload ?? {}),
        keyId: masterKeys.currentId,
        prevHmac: prev ? prev.hmac : GENESIS_HMAC,
        hmac: '',
      };
      entry.hmac = computeAuditHmac(hmacKey(), entry);
      insertAuditEntry(deps, entry);
      for (const listener of listeners) listener(entry, event);
      return entry;
    },
  };
}
