import type { Deps } from '../app/deps.ts';

/**
 * All SQL of the payments context: payment profiles, reported payments, refunds and VAT corrections. Other
 * contexts (the OSS report) read these rows only through the functions below.
 */
export interface ProfileRow {
  id: string;
  tenant_id: string;
  actor_type: string;
  actor_id: string;
  name: string;
  country: string;
  vat_id: string | null;
  accounts: string;
  is_default: number;
  created_at: number;
  updated_at: number;
}

export interface PaymentRow {
  id: string;
  tenant_id: string;
  profile_id: string;
  resource_app: string;
  resource_type: string;
  resource_id: string;
  amount_minor: number;
  currency: string;
  buyer_country: string;
  buyer_kind: string;
  buyer_vat_id: string | null;
  supply_type: string;
  provider: string;
  charge_id: string;
  occurred_at: number;
  period: string;
  treatment: string;
  member_state: string | null;
  rate_type: string | null;
  rate_bp: number;
  vat_minor: number;
  vies: string;
  vies_request_id: string | null;
  created_at: number;
}

export interface RefundRow {
  id: string;
  tenant_id: string;
  payment_id: string;
  amount_minor: number;
  vat_minor: number;
  treatment: string;
  provider_refund_id: string | null;
  refunded_at: number;
  created_at: number;
}

export interface CorrectionRow {
  id: string;
  tenant_id: string;
  payment_id: string;
  vies: string;
  vies_request_id: string | null;
  treatment: string;
  taxable_delta_minor: number;
  vat_delta_minor: number;
  recorded_at: number;
}

// Profiles

export function insertProfile(deps: Deps, row: ProfileRow): void {
  deps
    .statement(
      `INSERT INTO payment_profiles (id, tenant_id, actor_type, actor_id, name, country, vat_id, accounts, is_default, created_at, updated_at)
       VALUES (@id, @tenant_id, @actor_type, @actor_id, @name, @country, @vat_id, @accounts, @is_default, @created_at, @updated_at)`,
    )
    .run(row);
}

export function updateProfileRow(deps: Deps, row: ProfileRow): void {
  deps
    .statement(
      `UPDATE payment_profiles SET name = @name, country = @country, vat_id = @vat_id, accounts = @accounts,
         is_default = @is_default, updated_at = @updated_at WHERE id = @id`,
    )
    .run(row);
}

export function deleteProfileRow(deps: Deps, id: string): void {
  deps.statement('DELETE FROM payment_profiles WHERE id = ?').run(id);
}

export function profileById(deps: Deps, tenantId: string, id: string): ProfileRow | undefined {
  return deps.statement('SELECT * FROM payment_profiles WHERE tenant_id = ? AND id = ?').get(tenantId, id) as ProfileRow | undefined;
}

export function profilesOfTenant(deps: Deps, tenantId: string, actor?: { type: string; id: string }): ProfileRow[] {
  if (actor) {
    return deps
      .statement('SELECT * FROM payment_profiles WHERE tenant_id = ? AND actor_type = ? AND actor_id = ? ORDER BY created_at, id')
      .all(tenantId, actor.type, actor.id) as ProfileRow[];
  }
  return deps.statement('SELECT * FROM payment_profiles WHERE tenant_id = ? ORDER BY created_at, id').all(tenantId) as ProfileRow[];
}

export function defaultProfileIdOf(deps: Deps, tenantId: string, actorType: string, actorId: string): string | undefined {
  return deps
    .statement('SELECT id FROM payment_profiles WHERE tenant_id = ? AND actor_type = ? AND actor_id = ? AND is_default = 1')
    .pluck()
    .get(tenantId, actorType, actorId) as string | undefined;
}

export function clearDefaultOf(deps: Deps, tenantId: string, actorType: string, actorId: string): void {
  deps
    .statement('UPDATE payment_profiles SET is_default = 0 WHERE tenant_id = ? AND actor_type = ? AND actor_id = ? AND is_default = 1')
    .run(tenantId, actorType, actorId);
}

export function paymentCountOfProfile(deps: Deps, profileId: string): number {
  return deps.statement('SELECT count(*) FROM payments WHERE profile_id = ?').pluck().get(profileId) as number;
}

// Payments

export function insertPayment(deps: Deps, row: PaymentRow): void {
  deps
    .statement(
      `INSERT INTO payments (id, tenant_id, profile_id, resource_app, resource_type, resource_id, amount_minor, currency,
         buyer_country, buyer_kind, buyer_vat_id, supply_type, provider, charge_id, occurred_at, period, treatment,
         member_state, rate_type, rate_bp, vat_minor, vies, vies_request_id, created_at)
       VALUES (@id, @tenant_id, @profile_id, @resource_app, @resource_type, @resource_id, @amount_minor, @currency,
         @buyer_country, @buyer_kind, @buyer_vat_id, @supply_type, @provider, @charge_id, @occurred_at, @period, @treatment,
         @member_state, @rate_type, @rate_bp, @vat_minor, @vies, @vies_request_id, @created_at)`,
    )
    .run(row);
}

export function paymentById(deps: Deps, tenantId: string, id: string): PaymentRow | undefined {
  return deps.statement('SELECT * FROM payments WHERE tenant_id = ? AND id = ?').get(tenantId, id) as PaymentRow | undefined;
}

export function paymentByCharge(deps: Deps, tenantId: string, provider: string, chargeId: string): PaymentRow | undefined {
  return deps
    .statement('SELECT * FROM payments WHERE tenant_id = ? AND provider = ? AND charge_id = ?')
    .get(tenantId, provider, chargeId) as PaymentRow | undefined;
}

export function paymentsOfTenant(deps: Deps, tenantId: string, limit: number, beforeOccurredAt?: number): PaymentRow[] {
  return deps
    .statement('SELECT * FROM payments WHERE tenant_id = ? AND occurred_at < ? ORDER BY occurred_at DESC, id DESC LIMIT ?')
    .all(tenantId, beforeOccurredAt ?? Number.MAX_SAFE_INTEGER, limit) as PaymentRow[];
}

/** Payments whose buyer VAT ID VIES could not check and that no later answer has settled yet. */
export function paymentsAwaitingVies(deps: Deps, limit: number): PaymentRow[] {
  return deps
    .statement(
      `SELECT p.* FROM payments p
        WHERE p.vies = 'unavailable' AND NOT EXISTS (SELECT 1 FROM payment_vat_corrections c WHERE c.payment_id = p.id)
        ORDER BY p.occurred_at LIMIT ?`,
    )
    .all(limit) as PaymentRow[];
}

// Refunds and corrections

export function insertRefund(deps: Deps, row: RefundRow): void {
  deps
    .statement(
      `INSERT INTO payment_refunds (id, tenant_id, payment_id, amount_minor, vat_minor, treatment, provider_refund_id, refunded_at, created_at)
       VALUES (@id, @tenant_id, @payment_id, @amount_minor, @vat_minor, @treatment, @provider_refund_id, @refunded_at, @created_at)`,
    )
    .run(row);
}

export function refundsOfPayment(deps: Deps, paymentId: string): RefundRow[] {
  return deps.statement('SELECT * FROM payment_refunds WHERE payment_id = ? ORDER BY refunded_at, created_at').all(paymentId) as RefundRow[];
}

export function refundByProviderId(deps: Deps, paymentId: string, providerRefundId: string): RefundRow | undefined {
  return deps
    .statement('SELECT * FROM payment_refunds WHERE payment_id = ? AND provider_refund_id = ?')
    .get(paymentId, providerRefundId) as RefundRow | undefined;
}

export function insertCorrection(deps: Deps, row: CorrectionRow): void {
  deps
    .statement(
      `INSERT INTO payment_vat_corrections (id, tenant_id, payment_id, vies, vies_request_id, treatment, taxable_delta_minor, vat_delta_minor, recorded_at)
       VALUES (@id, @tenant_id, @payment_id, @vies, @vies_request_id, @treatment, @taxable_delta_minor, @vat_delta_minor, @recorded_at)`,
    )
    .run(row);
}

export function correctionOfPayment(deps: Deps, paymentId: string): CorrectionRow | undefined {
  return deps.statement('SELECT * FROM payment_vat_corrections WHERE payment_id = ?').get(paymentId) as CorrectionRow | undefined;
}

/**
 * One row of a tenant's VAT ledger within [start, end): a supply (a `vat_applied` payment made then), or an
 * adjustment made then (a refund of a `vat_applied` payment, a VIES correction) carrying its period of origin.
 * Raw arrays in a fixed column order, read through an iterator: a quarter of a million payments is never in memory.
 */
export type LedgerRow = [
  kind: 'supply' | 'refund' | 'correction',
  memberState: string,
  supplyType: string,
  rateType: string,
  rateBasisPoints: number,
  currency: string,
  originPeriod: string,
  taxableMinor: number,
  vatMinor: number,
];

export function ledgerRows(deps: Deps, tenantId: string, startMs: number, endMs: number): IterableIterator<LedgerRow> {
  return deps
    .statement(
      `SELECT 'supply', member_state, supply_type, rate_type, rate_bp, currency, period, amount_minor, vat_minor
         FROM payments
        WHERE tenant_id = @tenant AND occurred_at >= @start AND occurred_at < @end AND treatment = 'vat_applied'
       UNION ALL
       SELECT 'refund', p.member_state, p.supply_type, p.rate_type, p.rate_bp, p.currency, p.period, -r.amount_minor, -r.vat_minor
         FROM payment_refunds r JOIN payments p ON p.id = r.payment_id
        WHERE r.tenant_id = @tenant AND r.refunded_at >= @start AND r.refunded_at < @end AND r.treatment = 'vat_applied'
       UNION ALL
       SELECT 'correction', p.member_state, p.supply_type, p.rate_type, p.rate_bp, p.currency, p.period, c.taxable_delta_minor, c.vat_delta_minor
         FROM payment_vat_corrections c JOIN payments p ON p.id = c.payment_id
        WHERE c.tenant_id = @tenant AND c.recorded_at >= @start AND c.recorded_at < @end AND (c.taxable_delta_minor <> 0 OR c.vat_delta_minor <> 0)`,
    )
    .raw()
    .iterate({ tenant: tenantId, start: startMs, end: endMs }) as IterableIterator<LedgerRow>;
}

/** How many payments a quarter holds (for progress). */
export function paymentCountBetween(deps: Deps, tenantId: string, startMs: number, endMs: number): number {
  return deps
    .statement('SELECT count(*) FROM payments WHERE tenant_id = ? AND occurred_at >= ? AND occurred_at < ?')
    .pluck()
    .get(tenantId, startMs, endMs) as number;
}
