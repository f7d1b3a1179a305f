import type { Deps } from '../app/deps.ts';
import { AppError, validationError } from '../app/errors.ts';
import type { Actor } from '../audit/audit-log.ts';
import { getTenant } from '../tenants/tenants.ts';
import type { TenantRow } from '../tenants/tables.ts';
import { memberStateOf } from './rates.ts';
import { readVatSettings, tenantIdsWithVatSettings, writeVatSettings, type VatSettingsRow } from './store.ts';
import { requireVatId, type VatId } from './vat-ids.ts';

/** Return formats by member state of identification; one renderer module per format (src/oss/). */
export const OSS_FORMATS = ['be-xml'] as const;
export type OssFormat = (typeof OSS_FORMATS)[number];
/** Only the Union scheme (services and intra-EU distance sales of goods to consumers) is reported so far. */
export const OSS_SCHEMES = ['union'] as const;
export type OssScheme = (typeof OSS_SCHEMES)[number];

export interface TenantVatSettings {
  tenantId: string;
  vatId: VatId;
  /** Member state of identification (VAT code). */
  memberState: string;
  ossFormat: OssFormat;
  scheme: OssScheme;
  updatedAt: string;
}

export interface VatSettingsInput {
  vatId: string;
  memberState: string;
  ossFormat?: string;
  scheme?: string;
}

function view(row: VatSettingsRow): TenantVatSettings {
  return {
    tenantId: row.tenant_id,
    vatId: requireVatId(row.vat_id),
    memberState: row.member_state,
    ossFormat: row.oss_format as OssFormat,
    scheme: row.scheme as OssScheme,
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

export function findVatSettings(deps: Deps, tenantId: string): TenantVatSettings | null {
  const row = readVatSettings(deps, tenantId);
  return row ? view(row) : null;
}

/** The settings a return needs; a clear refusal (exit 1) when the tenant has none. */
export function requireVatSettings(deps: Deps, tenant: TenantRow): TenantVatSettings {
  const settings = findVatSettings(deps, tenant.id);
  if (!settings) {
    throw new AppError('conflict', `Tenant ${tenant.slug} has no VAT settings; set them with \`kimauth tenants vat set ${tenant.slug} --vat-id … --member-state …\``);
  }
  return settings;
}

/** Sets the seller's VAT ID (format-checked), member state of identification and OSS format; audited. */
export function setVatSettings(deps: Deps, tenantRef: string, input: VatSettingsInput, actor: Actor): TenantVatSettings {
  const memberState = memberStateOf(input.memberState);
  if (!memberState) throw validationError(`--member-state ${input.memberState} is not an EU member state`);
  const vatId = requireVatId(input.vatId, 'The seller VAT ID');
  if (vatId.memberState !== memberState) {
    throw validationError(`The VAT ID ${vatId.value} is issued by ${vatId.memberState}, not by the member state of identification ${memberState}`);
  }
  const ossFormat = input.ossFormat ?? 'be-xml';
  if (!(OSS_FORMATS as readonly string[]).includes(ossFormat)) throw validationError(`OSS format must be one of ${OSS_FORMATS.join(', ')}`);
  const scheme = input.scheme ?? 'union';
  if (!(OSS_SCHEMES as readonly string[]).includes(scheme)) throw validationError(`OSS scheme must be one of ${OSS_SCHEMES.join(', ')}`);
  return deps.sqlite.transaction(() => {
    const tenant = getTenant(deps, tenantRef);
    const before = readVatSettings(deps, tenant.id);
    const row: VatSettingsRow = { tenant_id: tenant.id, vat_id: vatId.value, member_state: memberState, oss_format: ossFormat, scheme, updated_at: deps.clock.nowMs() };
    writeVatSettings(deps, row);
    deps.audit.append(tenant.id, {
      actor,
      type: 'tenant.vat_settings_set',
      target: { type: 'tenant', id: tenant.id },
      payload: {
        vatId: vatId.value,
        memberState,
        ossFormat,
        scheme,
        ...(before ? { previous: { vatId: before.vat_id, memberState: before.member_state, ossFormat: before.oss_format, scheme: before.scheme } } : {}),
      },
    });
    return view(row);
  })();
}

/** Tenants with VAT settings: the ones the quarterly OSS job reports for. */
export function tenantIdsWithVat(deps: Deps): string[] {
  return tenantIdsWithVatSettings(deps);
}
