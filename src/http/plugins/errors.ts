import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError, ERROR_STATUS, isAppError, type ErrorCode } from '../../app/errors.ts';

export interface ErrorEnvelope {
  success: false;
  error: { code: string; message: string };
}

export function errorEnvelope(code: ErrorCode | string, message: string): ErrorEnvelope {
  return { success: false, error: { code, message } };
}

function describeZodIssue(issue: { instancePath?: string; message?: string; params?: { issue?: { path?: PropertyKey[]; message?: string } } }): string {
  const zodIssue = issue.params?.issue;
  const where = zodIssue?.path?.length ? zodIssue.path.join('.') : issue.instancePath?.replace(/^\//, '').replace(/\//g, '.');
  const message = zodIssue?.message ?? issue.message ?? 'invalid value';
  return where ? `${where}: ${message}` : message;
}

/**
 * One mapper from anything thrown to the seed 002 §2 envelope. AppErrors keep their code; request
 * validation becomes 400 validation_error; everything unexpected becomes 500 internal_error with no stack
 * or SQL in the body (it is logged instead).
 */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | AppError | Error, request, reply) => {
    if (isAppError(err)) {
      if (err.code === 'rate_limited' && err.details?.retryAfterSeconds) {
        reply.header('retry-after', String(err.details.retryAfterSeconds));
      }
      return reply.status(err.status).send(errorEnvelope(err.code, err.message));
    }
    if (hasZodFastifySchemaValidationErrors(err)) {
      const message = err.validation.map(describeZodIssue).join('; ');
      return reply.status(400).send(errorEnvelope('validation_error', message || 'Invalid request'));
    }
    const fastifyErr = err as FastifyError;
    const status = fastifyErr.statusCode ?? 500;
    if (status === 429) {
      return reply.status(429).send(errorEnvelope('rate_limited', 'Too many requests; try again later'));
    }
    if (status >= 400 && status < 500) {
      // Malformed JSON, wrong content type, body too large…: the client's fault, say so plainly.
      const code: ErrorCode = status === 404 ? 'not_found' : status === 401 ? 'unauthorized' : status === 403 ? 'forbidden' : 'validation_error';
      return reply.status(ERROR_STATUS[code]).send(errorEnvelope(code, fastifyErr.message || 'Invalid request'));
    }
    request.log.error({ err }, 'unhandled error');
    return reply.status(500).send(errorEnvelope('internal_error', 'Internal server error'));
  });

  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send(errorEnvelope('not_found', `No route ${request.method} ${request.url.split('?')[0]}`));
  });
}
