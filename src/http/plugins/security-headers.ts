import fastifyCors from '@fastify/cors';
import fastifyHelmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../app/config.ts';

/**
 * A CSP for the server-rendered pages (hosted pages under /t/{slug}/) that also suits JSON: everything from this
 * origin only, forms post only here, no scripts from anywhere else, never framed. Inline styles are allowed
 * (the hosted pages inline a small stylesheet so they work from the single binary); inline scripts are not.
 */
const CONTENT_SECURITY_POLICY = {
  useDefaults: false,
  directives: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'", "'unsafe-inline'"],
    imgSrc: ["'self'", 'data:'],
    fontSrc: ["'self'"],
    connectSrc: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
    baseUri: ["'none'"],
    objectSrc: ["'none'"],
  },
};

/**
 * Security headers on every response (@fastify/helmet): nosniff, Referrer-Policy no-referrer, the CSP above,
 * HSTS only when the public URL is https (on http it would be ignored, and a browser that saw it on a shared
 * host name would refuse the plain-http instance). CORS (@fastify/cors) only for KIMAUTH_CORS_ORIGINS (seed 002
 * §12.1); without it no Access-Control-* header is sent and browsers keep their same-origin rule.
 */
export async function registerSecurityHeaders(app: FastifyInstance, config: Config): Promise<void> {
  const https = config.publicUrl.startsWith('https:');
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: CONTENT_SECURITY_POLICY,
    referrerPolicy: { policy: 'no-referrer' },
    hsts: https ? { maxAge: 31_536_000, includeSubDomains: false } : false,
    // Public documents (JWKS, audit heads) are read cross-origin by design.
    crossOriginResourcePolicy: { policy: 'cross-origin' },
  });
  if (config.corsOrigins.length > 0) {
    await app.register(fastifyCors, {
      origin: config.corsOrigins,
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ['authorization', 'content-type', 'x-org', 'x-internal-api-key'],
      exposedHeaders: ['retry-after', 'x-ratelimit-limit', 'x-ratelimit-remaining'],
      maxAge: 600,
      // Bearer tokens, not cookies: browsers need not send credentials.
      credentials: false,
    });
  }
}
