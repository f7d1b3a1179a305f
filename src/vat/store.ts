import type { Deps } from '../app/deps.ts';

/** All SQL of the VAT context: tenant VAT settings and VIES consultations. */
export interface VatSettingsRow {
  tenant_id: string;
  vat_id: string;
  member_state: string;
  oss_format: string;
  scheme: string;
  updated_at: number;
}

export interface ViesConsultationRow {
  id: string;
  vat_id: string;
  day: string;
  outcome: 'valid' | 'invalid';
  request_identifier: string | null;
  trader_name: string | null;
  checked_at: number;
}

export function readVatSettings(deps: Deps, tenantId: string): VatSettingsRow | undefined {
  return deps.statement('SELECT * FROM tenant_vat_settings WHERE tenant_id = ?').get(tenantId) as VatSettingsRow | undefined;
}

export function writeVatSettings(deps: Deps, row: VatSettingsRow): void {
  deps
    .statement(
      `INSERT INTO tenant_vat_settings (tenant_id, vat_id, member_state, oss_format, scheme, updated_at)
       VALUES (@tenant_id, @vat_id, @member_state, @oss_format, @scheme, @updated_at)
       ON CONFLICT (tenant_id) DO UPDATE SET vat_id = excluded.vat_id, member_state = excluded.member_state,
         oss_format = excluded.oss_format, scheme = excluded.scheme, updated_at = excluded.updated_at`,
    )
    .run(row);
}

/** Tenants that have VAT settings: the quarterly job reports for these. */
export function tenantIdsWithVatSettings(deps: Deps): string[] {
  return deps.statement('SELECT tenant_id FROM tenant_vat_settings ORDER BY tenant_id').pluck().all() as string[];
}

/** The newest conclusive answer about a VAT ID on a day (the per-day cache). */
export function cachedConsultation(deps: Deps, vatId: string, day: string): ViesConsultationRow | undefined {
  return deps
    .statement('SELECT * FROM vies_consultations WHERE vat_id = ? AND day = ? ORDER BY checked_at DESC LIMIT 1')
    .get(vatId, day) as ViesConsultationRow | undefined;
}

export function insertConsultation(deps: Deps, row: ViesConsultationRow): void {
  deps
    .statement(
      `INSERT INTO vies_consultations (id, vat_id, day, outcome, request_identifier, trader_name, checked_at)
       VALUES (@id, @vat_id, @day, @outcome, @request_identifier, @trader_name, @checked_at)`,
    )
    .run(row);
}
