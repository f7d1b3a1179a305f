import type { IncomingMessage, ServerResponse } from 'node:http';
import fastifyCors from '@fastify/cors';
import helmet, { type HelmetOptions } from 'helmet';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
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

function helmetOptions(config: Config): HelmetOptions {
  return {
    contentSecurityPolicy: CONTENT_SECURITY_POLICY,
    referrerPolicy: { policy: 'no-referrer' },
    xFrameOptions: { action: 'deny' },
    // On http HSTS would be ignored, and a browser that once saw it for the host name would refuse plain http.
    strictTransportSecurity: config.publicUrl.startsWith('https:') ? { maxAge: 31_536_000, includeSubDomains: false } : false,
    // Public documents (JWKS, audit heads) are read cross-origin by design.
    crossOriginResourcePolicy: { policy: 'cross-origin' },
  };
}

/**
 * The headers helmet sets with this configuration, computed once. None depends on the request (no CSP nonces),
 * and running helmet's middleware chain on every request (what @fastify/helmet does) cost the token paths about
 * a fifth of their per-request CPU in `npm run bench`.
 */
export function securityHeaders(config: Config): Record<string, string> {
  const headers: Record<string, string> = {};
  const collector = {
    setHeader: (name: string, value: string | number) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
    getHeader: (name: string) => headers[name.toLowerCase()],
  };
  helmet(helmetOptions(config))({} as IncomingMessage, collector as unknown as ServerResponse, () => undefined);
  return headers;
}

/**
 * Security headers on every response (helmet's: nosniff, Referrer-Policy no-referrer, the CSP above, HSTS only
 * when the public URL is https, …) and `Cache-Control: no-store` + `Pragma: no-cache` — login and refresh answer
 * tokens, others profiles or one-time links, and no error should be cached either; a route whose answer is public
 * sets its own Cache-Control (JWKS). One synchronous hook. CORS (@fastify/cors) only for KIMAUTH_CORS_ORIGINS
 * (seed 002 §12.1); without it no Access-Control-* header is sent and browsers keep their same-origin rule.
 */
export async function registerSecurityHeaders(app: FastifyInstance, config: Config): Promise<void> {
  const headers = { ...securityHeaders(config), 'cache-control': 'no-store', pragma: 'no-cache' };
  app.addHook('onRequest', (_request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    reply.headers(headers);
    done();
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
