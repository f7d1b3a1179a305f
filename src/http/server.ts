import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type RawServerDefault, type RawRequestDefaultExpression, type RawReplyDefaultExpression } from 'fastify';
import fastifySwagger from '@fastify/swagger';
import { jsonSchemaTransform, jsonSchemaTransformObject, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Deps } from '../app/deps.ts';
import { VERSION } from '../app/version.ts';
import { clientErrorHandler, frameworkErrors, registerErrorHandling } from './plugins/errors.ts';
import { authenticateBeforeParsing, createAuthenticate } from './plugins/authenticate.ts';
import { registerSecurityHeaders } from './plugins/security-headers.ts';
import { documentHook, documentOperations, routeDocs, SECURITY_SCHEMES, tidySchemaNames, type RouteDoc } from './openapi.ts';
import { createIpRateLimiter } from './plugins/rate-limit.ts';
import { registerMetrics } from './plugins/metrics.ts';
import { healthRoutes } from './routes/health.ts';
import { jwksRoutes } from './routes/jwks.ts';
import { internalUsersRoutes } from './routes/internal-users.ts';
import { internalCompaniesRoutes } from './routes/internal-companies.ts';
import { internalMachineRoutes } from './routes/internal-machine.ts';
import { setPasswordRoutes } from './routes/set-password.ts';
import { auditRoutes } from './routes/audit.ts';
import { authRoutes } from './routes/auth.ts';
import { entitlementsRoutes } from './routes/entitlements.ts';
import { companyAccessRoutes } from './routes/company-access.ts';
import { meAccessRoutes } from './routes/me-access.ts';
import { invitationRoutes } from './routes/invitations.ts';
import { paymentsRoutes } from './routes/payments.ts';
import { agentsRoutes } from './routes/agents.ts';
import { accessCheckRoutes } from './routes/access-checks.ts';
import { ownershipRoutes } from './routes/ownership.ts';
import { docsRoutes } from './routes/docs.ts';
import { tenantMembersRoutes } from './routes/tenant-members.ts';
import { tenantRolesGroupsRoutes } from './routes/tenant-roles-groups.ts';
import { apiKeysRoutes } from './routes/api-keys.ts';
import { webhooksRoutes } from './routes/webhooks.ts';
import { clientsRoutes } from './routes/clients.ts';
import { oidcRoutes } from './routes/oidc.ts';
import { mfaRoutes } from './routes/mfa.ts';
import { magicLinkRoutes } from './routes/magic-links.ts';
import { upstreamSignInRoutes } from './routes/upstream-sign-in.ts';

/** The server type every route family receives: zod-typed routes, kimauth's logger. */
export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

/**
 * Route families register themselves here; each is `(app, deps) => void` and calls the services of its
 * context. Later capabilities add their family to this list.
 */
const ROUTE_FAMILIES: Array<(app: App, deps: Deps) => void | Promise<void>> = [
  healthRoutes,
  jwksRoutes,
  internalUsersRoutes,
  internalCompaniesRoutes,
  internalMachineRoutes,
  setPasswordRoutes,
  auditRoutes,
  authRoutes,
  entitlementsRoutes,
  companyAccessRoutes,
  meAccessRoutes,
  invitationRoutes,
  paymentsRoutes,
  tenantMembersRoutes,
  tenantRolesGroupsRoutes,
  agentsRoutes,
  accessCheckRoutes,
  ownershipRoutes,
  apiKeysRoutes,
  webhooksRoutes,
  clientsRoutes,
  oidcRoutes,
  mfaRoutes,
  magicLinkRoutes,
  upstreamSignInRoutes,
  docsRoutes,
];

export interface BuildServerOptions {
  /** Log requests (serve); tests keep the default silent logger. */
  logRequests?: boolean;
}

/**
 * fastify's trustProxy from KIMAUTH_TRUST_PROXY (config.ts): a hop count becomes proxy-addr's "trust the nearest
 * N hops" function (what fastify does with a number, which its types do not declare); a list stays a list.
 */
function trustProxyOption(value: false | number | string[]): false | string[] | ((address: string, hop: number) => boolean) {
  if (typeof value === 'number') return (_address, hop) => hop < value;
  return value;
}

export async function buildServer(deps: Deps, options: BuildServerOptions = {}): Promise<App> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    // Per-request info lines cost throughput on the token paths; completions are logged at debug (below).
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: trustProxyOption(deps.config.trustProxy),
    bodyLimit: 1024 * 1024,
    // Malformed URLs, over-long path parameters and parser-level rejections answer in the seed envelope.
    frameworkErrors,
    clientErrorHandler,
    // Requests in flight finish on close; new ones are refused.
    return503OnClosing: true,
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  // Response schemas document the API in /openapi.json; serialising stays plain JSON.stringify on the hot
  // paths instead of re-validating every response.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  registerErrorHandling(app);
  app.decorateRequest('principal', null);
  app.decorateRequest('apiKeyPrincipal', null);
  // One verifier (cached public keys, prepared session query) shared by every Bearer route.
  app.decorate('authenticate', documentHook(createAuthenticate(deps), { security: [{ bearerAuth: [] }] }));
  // Every Bearer route authenticates on onRequest, before its body is parsed or validated (hooks added here
  // apply to every route registered after them).
  app.addHook('onRoute', authenticateBeforeParsing(app.authenticate));
  // Security headers and no-store on every response; CORS when configured.
  await registerSecurityHeaders(app, deps.config);
  // One per-IP bucket for every anonymous route that takes a password or a one-time token (seed 002 §4.1).
  app.decorate('ipRateLimit', documentHook(createIpRateLimiter(deps.clock, deps.config.rateLimitPerMinute), { rateLimited: true }));
  if (options.logRequests && deps.logger.isLevelEnabled('debug')) {
    app.addHook('onResponse', async (request, reply) => {
      request.log.debug({ method: request.method, url: request.url, status: reply.statusCode, ms: reply.elapsedTime }, 'request');
    });
  }

  // KIMAUTH_METRICS: one onResponse hook for every route, and GET /metrics.
  await registerMetrics(app, deps);

  // What each route's hooks say about it (credentials, rate limit), for documentOperations in /openapi.json.
  const documentedRoutes = new Map<string, RouteDoc>();
  app.addHook('onRoute', (route) => {
    for (const doc of routeDocs(route)) documentedRoutes.set(doc.key, doc);
  });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'kimauth',
        version: VERSION,
        description: 'kimauth identity appliance HTTP API. Errors use the envelope `{ success: false, error: { code, message } }`.',
        license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
      },
      servers: [{ url: deps.config.publicUrl }],
      components: { securitySchemes: SECURITY_SCHEMES },
    },
    transform: jsonSchemaTransform,
    // Schemas given an id with `.meta({ id })` become components.schemas and are referenced by $ref.
    transformObject: jsonSchemaTransformObject,
  });

  for (const register of ROUTE_FAMILIES) await register(app, deps);

  let openapi: object | undefined;
  app.get('/openapi.json', { schema: { hide: true } }, async () => (openapi ??= documentOperations(tidySchemaNames(app.swagger()), documentedRoutes)));
  return app;
}
