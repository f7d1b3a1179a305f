import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';

/**
 * `Cache-Control: no-store` (and HTTP/1.0's `Pragma: no-cache`) on every response by default: login and refresh
 * answer tokens, others carry profiles or one-time links, and an error must not be cached either. A route whose
 * answer is public sets its own Cache-Control (JWKS), which replaces this one.
 */
export function noStore(_request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
  reply.header('cache-control', 'no-store');
  reply.header('pragma', 'no-cache');
  done();
}
