import { z } from 'zod';
import type { App } from '../server.ts';
import type { Deps } from '../../app/deps.ts';
import { validationError } from '../../app/errors.ts';
import { PROFILE_ACTOR_TYPES } from '../../payments/actors.ts';
import {
  createProfileAs,
  deleteProfileAs,
  getPaymentAs,
  getProfileAs,
  listPaymentsAs,
  listProfilesAs,
  refundPaymentAs,
  reportPaymentAs,
  updateProfileAs,
} from '../../payments/caller-operations.ts';
import { PAYMENT_PROVIDERS } from '../../payments/profiles.ts';
import { SUPPLY_TYPES } from '../../payments/payments.ts';
import { renderOssReportAs } from '../../oss/report-files.ts';
import { callerOf } from '../caller.ts';
import { ok } from '../envelope.ts';

const security = [{ bearerAuth: [] }];
const slugParams = z.object({ slug: z.string().min(1).max(63) });
const idParams = slugParams.extend({ id: z.string().min(1).max(100) });
const actor = z.object({ type: z.enum(PROFILE_ACTOR_TYPES), id: z.string().min(1).max(200) });
const accounts = z.partialRecord(z.enum(PAYMENT_PROVIDERS), z.string().min(1).max(200));
const profileBody = z.object({
  name: z.string().max(200).optional(),
  country: z.string().length(2).optional(),
  vatId: z.string().max(30).nullable().optional(),
  accounts: accounts.optional(),
  isDefault: z.boolean().optional(),
});
/** Minor units: integers only, so a float amount is a 400 before any service sees it. */
const minorUnits = z.number().int().positive().max(1_000_000_000_000);

const paymentBody = z.object({
  resource: z.object({ app: z.string().min(1).max(200), type: z.string().min(1).max(200), id: z.string().min(1).max(200) }),
  profileId: z.string().min(1).max(100),
  amount: minorUnits,
  currency: z.string().regex(/^[A-Z]{3}$/),
  buyer: z.object({ country: z.string().length(2), kind: z.enum(['consumer', 'business']), vatId: z.string().max(30).nullable().optional() }),
  supplyType: z.enum(SUPPLY_TYPES),
  rateType: z.enum(['STANDARD', 'REDUCED']).optional(),
  reducedRate: z.string().regex(/^\d{1,2}(\.\d{1,2})?$/).optional(),
  provider: z.enum(PAYMENT_PROVIDERS),
  chargeId: z.string().min(1).max(200),
  occurredAt: z.string().datetime({ offset: true }),
});

/**
 * Payment profiles, reported payments and refunds (`/t/{slug}/v1/…`) and OSS returns for finance staff
 * (`/t/{slug}/api/v1/oss-reports/…`). Bearer tokens for now; API keys join through the tenant API plugin.
 * Where the money for a resource goes (`…/ownership/{app}/{type}/{id}/payment-profile`) is in routes/ownership.ts.
 */
export function paymentsRoutes(app: App, deps: Deps): void {
  const tags = ['payments'];

  app.get(
    '/t/:slug/v1/payment-profiles',
    {
      preHandler: app.authenticate,
      schema: { operationId: 'listPaymentProfiles', tags, summary: "Payment profiles (finance roles: all or one actor's; members: their own)", security, params: slugParams, querystring: z.object({ actorType: z.enum(PROFILE_ACTOR_TYPES).optional(), actorId: z.string().max(200).optional() }) },
    },
    async (request) => {
      const { actorType, actorId } = request.query;
      const owner = actorType && actorId ? { type: actorType, id: actorId } : undefined;
      return ok(listProfilesAs(deps, callerOf(request), request.params.slug, owner));
    },
  );

  app.post(
    '/t/:slug/v1/payment-profiles',
    {
      preHandler: app.authenticate,
      schema: { operationId: 'createPaymentProfile', tags, summary: 'Create a payment profile (for yourself, or for any actor with a finance role)', security, params: slugParams, body: profileBody.extend({ actor: actor.optional() }) },
    },
    async (request, reply) => {
      const { actor: owner, ...input } = request.body;
      reply.code(201);
      return ok(createProfileAs(deps, callerOf(request), request.params.slug, owner, input));
    },
  );

  app.get(
    '/t/:slug/v1/payment-profiles/:id',
    { preHandler: app.authenticate, schema: { operationId: 'getPaymentProfile', tags, summary: 'One payment profile', security, params: idParams } },
    async (request) => ok(getProfileAs(deps, callerOf(request), request.params.slug, request.params.id)),
  );

  app.patch(
    '/t/:slug/v1/payment-profiles/:id',
    { preHandler: app.authenticate, schema: { operationId: 'updatePaymentProfile', tags, summary: 'Change a payment profile (accounts replace all accounts)', security, params: idParams, body: profileBody } },
    async (request) => ok(updateProfileAs(deps, callerOf(request), request.params.slug, request.params.id, request.body)),
  );

  app.delete(
    '/t/:slug/v1/payment-profiles/:id',
    { preHandler: app.authenticate, schema: { operationId: 'deletePaymentProfile', tags, summary: 'Delete a payment profile no payment points to', security, params: idParams } },
    async (request) => {
      deleteProfileAs(deps, callerOf(request), request.params.slug, request.params.id);
      return ok({ deleted: request.params.id });
    },
  );

  app.post(
    '/t/:slug/v1/payments',
    {
      preHandler: app.authenticate,
      schema: { operationId: 'reportPayment', tags, summary: 'Report a payment; records its VAT treatment. The same provider charge id again answers 200 with the existing record', security, params: slugParams, body: paymentBody },
    },
    async (request, reply) => {
      const { payment, created } = await reportPaymentAs(deps, callerOf(request), request.params.slug, request.body);
      reply.code(created ? 201 : 200);
      return ok(payment);
    },
  );

  app.get(
    '/t/:slug/v1/payments',
    {
      preHandler: app.authenticate,
      schema: { operationId: 'listPayments', tags, summary: 'Reported payments, newest first', security, params: slugParams, querystring: z.object({ limit: z.coerce.number().int().min(1).max(500).optional(), before: z.string().datetime({ offset: true }).optional() }) },
    },
    async (request) => ok(listPaymentsAs(deps, callerOf(request), request.params.slug, request.query)),
  );

  app.get(
    '/t/:slug/v1/payments/:id',
    { preHandler: app.authenticate, schema: { operationId: 'getPayment', tags, summary: 'One payment with its refunds and VIES correction', security, params: idParams } },
    async (request) => ok(getPaymentAs(deps, callerOf(request), request.params.slug, request.params.id)),
  );

  app.post(
    '/t/:slug/v1/payments/:id/refunds',
    {
      preHandler: app.authenticate,
      schema: {
        operationId: 'refundPayment',
        tags,
        summary: 'Refund part or all of what is left; inherits the treatment, rate and period of origin',
        security,
        params: idParams,
        body: z.object({ amount: minorUnits, refundedAt: z.string().datetime({ offset: true }).optional(), providerRefundId: z.string().min(1).max(200).optional() }),
      },
    },
    async (request, reply) => {
      const result = refundPaymentAs(deps, callerOf(request), request.params.slug, request.params.id, request.body);
      reply.code(result.created ? 201 : 200);
      return ok({ refund: result.refund, payment: result.payment });
    },
  );

  app.get(
    '/t/:slug/api/v1/oss-reports/:file',
    {
      preHandler: app.authenticate,
      schema: { operationId: 'getOssReport', tags, summary: 'The OSS return of a quarter, built on request: 2026-Q3.xml (Belgian import scheme) or 2026-Q3.csv', security, params: slugParams.extend({ file: z.string().max(20) }) },
    },
    async (request, reply) => {
      const match = /^(\d{4}-Q[1-4])\.(xml|csv)$/.exec(request.params.file);
      if (!match) throw validationError('Ask for {year}-Q{n}.xml or {year}-Q{n}.csv, e.g. 2026-Q3.xml');
      const format = match[2] as 'xml' | 'csv';
      const body = renderOssReportAs(deps, callerOf(request), request.params.slug, match[1], format);
      reply
        .type(format === 'xml' ? 'application/xml; charset=utf-8' : 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${request.params.slug}-${match[1]}.${format}"`);
      return reply.send(body);
    },
  );
}
