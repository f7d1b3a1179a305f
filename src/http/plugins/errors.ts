import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
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
    const framework = frameworkErrorEnvelope(err as FastifyError);
    if (framework) return reply.status(framework.status).send(errorEnvelope(framework.code, framework.message));
    request.log.error({ err }, 'unhandled error');
    return reply.status(500).send(errorEnvelope('internal_error', 'Internal server error'));
  });

  app.setNotFoundHandler((request, reply) => {
    // The path is not echoed: an error body never reflects what the client wrote.
    reply.status(404).send(errorEnvelope('not_found', `No route for ${request.method} on this path`));
  });
}

/**
 * Errors raised by fastify itself (routing, content-type parsing, body limits), by fastify code, as stable codes
 * with fixed messages: fastify's own messages quote the URL or the client's bytes, which an error body must not.
 */
const FRAMEWORK_ERRORS: Record<string, { code: ErrorCode; message: string }> = {
  FST_ERR_BAD_URL: { code: 'validation_error', message: 'Malformed URL (bad percent-encoding)' },
  FST_ERR_INVALID_URL: { code: 'validation_error', message: 'Malformed URL' },
  FST_ERR_MAX_PARAM_LENGTH: { code: 'uri_too_long', message: 'A path parameter is too long' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'unsupported_media_type', message: 'Unsupported Content-Type; send application/json' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'validation_error', message: 'Content-Length does not match the body' },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'payload_too_large', message: 'Request body is too large' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'validation_error', message: 'Content-Type is application/json but the body is empty' },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'validation_error', message: 'Body is not valid JSON' },
  FST_ERR_CTP_EMPTY_TYPE: { code: 'unsupported_media_type', message: 'Content-Type is empty' },
  FST_ERR_CTP_INVALID_TYPE: { code: 'unsupported_media_type', message: 'Invalid Content-Type' },
};

function frameworkErrorEnvelope(err: FastifyError): { status: number; code: ErrorCode; message: string } | undefined {
  const known = err.code ? FRAMEWORK_ERRORS[err.code] : undefined;
  if (known) return { status: ERROR_STATUS[known.code], ...known };
  // Bad JSON surfaces as a SyntaxError with statusCode 400 from the JSON parser.
  if (err instanceof SyntaxError && err.statusCode === 400) return { status: 400, code: 'validation_error', message: 'Body is not valid JSON' };
  const status = err.statusCode ?? 500;
  if (status === 429) return { status, code: 'rate_limited', message: 'Too many requests; try again later' };
  if (status >= 400 && status < 500) {
    const code: ErrorCode = status === 404 ? 'not_found' : status === 401 ? 'unauthorized' : status === 403 ? 'forbidden' : 'validation_error';
    return { status: ERROR_STATUS[code], code, message: 'Invalid request' };
  }
  return undefined;
}

/** fastify's `frameworkErrors`: a malformed URL or an over-long path parameter, answered before any route runs. */
export function frameworkErrors(err: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const mapped = frameworkErrorEnvelope(err) ?? { status: 400, code: 'validation_error' as const, message: 'Invalid request' };
  void reply.status(mapped.status).header('cache-control', 'no-store').send(errorEnvelope(mapped.code, mapped.message));
}

/**
 * Node's `clientError`: requests rejected by the HTTP parser before fastify sees them (431 headers too large,
 * malformed request lines, 408 timeouts). Written raw on the socket, in the same envelope.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message]: [number, string, string] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'headers_too_large', 'Request headers are too large']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'validation_error', 'Request timed out']
        : [400, 'validation_error', 'Malformed HTTP request'];
  const body = JSON.stringify(errorEnvelope(code, message));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n` +
        `Connection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}
