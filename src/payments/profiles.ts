import { randomUUID } from 'node:crypto';
import type { Deps } from '../app/deps.ts';
import { conflict, notFound, validationError } from '../app/errors.ts';
import type { Actor } from '../audit/audit-log.ts';
import { memberStateOf } from '../vat/rates.ts';
import { requireVatId } from '../vat/vat-ids.ts';
import { assertActorOfTenant, type ProfileActor } from './actors.ts';
import {
  clearDefaultOf,
  defaultProfileIdOf,
  deleteProfileRow,
  insertProfile,
  paymentCountOfProfile,
  profileById,
  profilesOfTenant,
  updateProfileRow,
  type ProfileRow,
} from './store.ts';

/** Payment providers kimauth points money to (it never moves money itself), with their account ids. */
export const PAYMENT_PROVIDERS = ['stripe', 'mollie', 'paypal'] as const;
export type PaymentProvider = (typeof PAYMENT_PROVIDERS)[number];
export type ProviderAccounts = Partial<Record<PaymentProvider, string>>;

export interface PaymentProfile {
  id: string;
  tenantId: string;
  actor: ProfileActor;
  name: string;
  /** ISO 3166 country of the recipient. */
  country: string;
  vatId: string | null;
  accounts: ProviderAccounts;
  isDefault: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface ProfileInput {
  name?: string;
  country?: string;
  vatId?: string | null;
  /** Replaces every account. */
  accounts?: ProviderAccounts;
  /** Adds or replaces these providers' accounts, keeping the others (update only). */
  addAccounts?: ProviderAccounts;
  isDefault?: boolean;
}

function view(row: ProfileRow): PaymentProfile {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    actor: { type: row.actor_type as ProfileActor['type'], id: row.actor_id },
    name: row.name,
    country: row.country,
    vatId: row.vat_id,
    accounts: JSON.parse(row.accounts) as ProviderAccounts,
    isDefault: row.is_default === 1,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

function checkedAccounts(accounts: ProviderAccounts): ProviderAccounts {
  const out: ProviderAccounts = {};
  for (const [provider, accountId] of Object.entries(accounts)) {
    if (!(PAYMENT_PROVIDERS as readonly string[]).includes(provider)) {
      throw validationError(`Unknown provider "${provider}" (one of ${PAYMENT_PROVIDERS.join(', ')})`);
    }
    if (typeof accountId !== 'string' || !/^[\w.:@-]{1,200}$/.test(accountId)) {
      throw validationError(`The ${provider} account id must be 1–200 letters, digits or . : @ - _`);
    }
    out[provider as PaymentProvider] = accountId;
  }
  if (Object.keys(out).length === 0) throw validationError('A payment profile needs at least one provider account (stripe, mollie or paypal)');
  return out;
}

function checkedCountry(country: string): string {
  const code = country.trim().toUpperCase();
  if (!/^[A-Z]{2}$/.test(code)) throw validationError(`country "${country}" is not a two-letter ISO 3166 code`);
  return code;
}

function checkedVatId(vatId: string | null | undefined): string | null {
  if (vatId === undefined || vatId === null || vatId.trim() === '') return null;
  return requireVatId(vatId).value;
}

function audit(deps: Deps, actor: Actor, type: string, row: ProfileRow, payload: Record<string, unknown>): void {
  deps.audit.append(row.tenant_id, {
    actor,
    type,
    target: { type: 'payment_profile', id: row.id },
    payload: { actor: { type: row.actor_type, id: row.actor_id }, ...payload },
  });
}

/** Creates a profile for an actor of the tenant; an actor's first profile becomes its default. */
export function createPaymentProfile(deps: Deps, tenantId: string, owner: ProfileActor, input: ProfileInput, actor: Actor): PaymentProfile {
  const name = input.name?.trim() || 'default';
  if (name.length > 200) throw validationError('name is at most 200 characters');
  const country = checkedCountry(input.country ?? '');
  const vatId = checkedVatId(input.vatId);
  if (vatId && memberStateOf(country) && memberStateOf(country) !== vatId.slice(0, 2)) {
    throw validationError(`The VAT ID ${vatId} is not issued by ${country}`);
  }
  const accounts = checkedAccounts(input.accounts ?? {});
  return deps.sqlite.transaction(() => {
    assertActorOfTenant(deps, tenantId, owner);
    const hasDefault = defaultProfileIdOf(deps, tenantId, owner.type, owner.id) !== undefined;
    const isDefault = input.isDefault === true || !hasDefault;
    if (isDefault && hasDefault) clearDefaultOf(deps, tenantId, owner.type, owner.id);
    const now = deps.clock.nowMs();
    const row: ProfileRow = {
      id: randomUUID(),
      tenant_id: tenantId,
      actor_type: owner.type,
      actor_id: owner.id,
      name,
      country,
      vat_id: vatId,
      accounts: JSON.stringify(accounts),
      is_default: isDefault ? 1 : 0,
      created_at: now,
      updated_at: now,
    };
    insertProfile(deps, row);
    audit(deps, actor, 'payment_profile.created', row, { name, country, vatId, providers: Object.keys(accounts), isDefault });
    return view(row);
  })();
}

export function getPaymentProfile(deps: Deps, tenantId: string, id: string): PaymentProfile {
  const row = profileById(deps, tenantId, id);
  if (!row) throw notFound(`Payment profile "${id}"`);
  return view(row);
}

export function listPaymentProfiles(deps: Deps, tenantId: string, owner?: ProfileActor): PaymentProfile[] {
  return profilesOfTenant(deps, tenantId, owner).map(view);
}

export function updatePaymentProfile(deps: Deps, tenantId: string, id: string, input: ProfileInput, actor: Actor): PaymentProfile {
  return deps.sqlite.transaction(() => {
    const before = profileById(deps, tenantId, id);
    if (!before) throw notFound(`Payment profile "${id}"`);
    if (input.isDefault === false && before.is_default === 1) {
      throw validationError('Make another profile the default instead of unsetting this one');
    }
    const next: ProfileRow = {
      ...before,
      name: input.name !== undefined ? input.name.trim() || before.name : before.name,
      country: input.country !== undefined ? checkedCountry(input.country) : before.country,
      vat_id: input.vatId !== undefined ? checkedVatId(input.vatId) : before.vat_id,
      accounts:
        input.accounts !== undefined
          ? JSON.stringify(checkedAccounts(input.accounts))
          : input.addAccounts !== undefined
            ? JSON.stringify(checkedAccounts({ ...(JSON.parse(before.accounts) as ProviderAccounts), ...input.addAccounts }))
            : before.accounts,
      is_default: input.isDefault === true ? 1 : before.is_default,
      updated_at: deps.clock.nowMs(),
    };
    const changed = (['name', 'country', 'vat_id', 'accounts', 'is_default'] as const).filter((k) => next[k] !== before[k]);
    if (changed.length === 0) return view(before);
    if (next.is_default === 1 && before.is_default === 0) clearDefaultOf(deps, tenantId, before.actor_type, before.actor_id);
    updateProfileRow(deps, next);
    audit(deps, actor, 'payment_profile.updated', next, {
      changed: changed.map((k) => ({ vat_id: 'vatId', is_default: 'isDefault' })[k as 'vat_id'] ?? k),
    });
    return view(next);
  })();
}

/** Deletes a profile no payment points to; the default goes to the actor's oldest remaining profile. */
export function deletePaymentProfile(deps: Deps, tenantId: string, id: string, actor: Actor): void {
  deps.sqlite.transaction(() => {
    const row = profileById(deps, tenantId, id);
    if (!row) throw notFound(`Payment profile "${id}"`);
    if (paymentCountOfProfile(deps, id) > 0) throw conflict('Payments were reported to this profile; it is kept as their record');
    deleteProfileRow(deps, id);
    let newDefault: string | null = null;
    if (row.is_default === 1) {
      const next = profilesOfTenant(deps, tenantId, { type: row.actor_type, id: row.actor_id })[0];
      if (next) {
        updateProfileRow(deps, { ...next, is_default: 1, updated_at: deps.clock.nowMs() });
        newDefault = next.id;
      }
    }
    audit(deps, actor, 'payment_profile.deleted', row, { name: row.name, newDefault });
  })();
}

/**
 * The id of an actor's default profile, or null: one indexed lookup, for the `payment_profile` claim of tenant
 * tokens (src/claims/tenant-claims.ts calls this).
 */
export function defaultPaymentProfileId(deps: Deps, tenantId: string, actor: { type: string; id: string }): string | null {
  return defaultProfileIdOf(deps, tenantId, actor.type, actor.id) ?? null;
}

/**
 * Where the money for a resource goes: its owner's default profile. The ownership route
 * (`GET /t/{slug}/v1/ownership/{app}/{type}/{id}/payment-profile`) calls this once the ownership registry says
 * who the owner is (a group-owned resource pays the group).
 */
export function defaultProfileOfActor(deps: Deps, tenantId: string, actor: ProfileActor): PaymentProfile {
  const id = defaultPaymentProfileId(deps, tenantId, actor);
  if (!id) throw notFound(`A payment profile of ${actor.type} ${actor.id}`);
  return getPaymentProfile(deps, tenantId, id);
}
