import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ConfigOverrides } from '../../src/app/config.ts';
import type { FixedClock } from '../../src/app/clock.ts';
import { importEcbRates } from '../../src/fx/reference-rates.ts';
import { createPaymentProfile, type PaymentProfile } from '../../src/payments/profiles.ts';
import type { ReportPaymentInput } from '../../src/payments/payments.ts';
import { createTenant } from '../../src/tenants/tenants.ts';
import type { TenantRow } from '../../src/tenants/tables.ts';
import type { UserRow } from '../../src/identity/tables.ts';
import { setVatSettings } from '../../src/vat/settings.ts';
import { createTestInstance, TEST_ACTOR, type TestInstance } from './deps.ts';
import { createMember } from './members.ts';

export const ECB_SAMPLE = path.resolve(import.meta.dirname, '../fixtures/fx/ecb-sample.csv');

export interface PaymentsFixture extends TestInstance {
  tenant: TenantRow;
  seller: UserRow;
  profile: PaymentProfile;
}

/** A tenant `acme` selling from Belgium (BE0123456749), a member with a Stripe profile, the ECB sample imported. */
export async function paymentsFixture(options: { config?: ConfigOverrides; clock?: FixedClock; file?: boolean; slug?: string } = {}): Promise<PaymentsFixture> {
  const t = await createTestInstance(options);
  const tenant = await createTenant(t.deps, { slug: options.slug ?? 'acme', name: 'Acme' }, TEST_ACTOR);
  setVatSettings(t.deps, tenant.id, { vatId: 'BE0123456749', memberState: 'BE', ossFormat: 'be-xml' }, TEST_ACTOR);
  const seller = await createMember(t.deps, tenant.id, `seller@${tenant.slug}.test`, 'SUBMITTER');
  const profile = createPaymentProfile(t.deps, tenant.id, { type: 'user', id: seller.id }, { country: 'BE', accounts: { stripe: 'acct_seller' } }, TEST_ACTOR);
  importEcbRates(t.deps, ECB_SAMPLE, readFileSync(ECB_SAMPLE, 'utf8'), TEST_ACTOR);
  return { ...t, tenant, seller, profile };
}

let charge = 0;

/** A consumer payment in Germany; override what the test is about. */
export function paymentInput(profileId: string, overrides: Partial<ReportPaymentInput> = {}): ReportPaymentInput {
  return {
    resource: { app: 'market', type: 'listing', id: 'l-1' },
    profileId,
    amount: 10_000,
    currency: 'EUR',
    buyer: { country: 'DE', kind: 'consumer' },
    supplyType: 'services',
    provider: 'stripe',
    chargeId: `ch_${++charge}`,
    occurredAt: '2026-08-15T10:00:00Z',
    ...overrides,
  };
}
