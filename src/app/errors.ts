/**
 * Stable error codes of seed 002 §2. Clients branch on `code`; `message` may change.
 * The HTTP status of each code is fixed here and nowhere else.
 */
export const ERROR_STATUS = {
  validation_error: 400,
  unauthorized: 401,
  session_revoked: 401,
  forbidden: 403,
  pending_approval: 403,
  registration_rejected: 403,
  account_inactive: 403,
  registration_disabled: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  uri_too_long: 414,
  unsupported_media_type: 415,
  rate_limited: 429,
  headers_too_large: 431,
  internal_error: 500,
  not_implemented: 501,
  finance_db_not_configured: 503,
  not_ready: 503,
  service_unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

export const notFound = (what: string) => new AppError('not_found', `${what} not found`);
export const conflict = (message: string) => new AppError('conflict', message);
export const forbidden = (message = 'You are not allowed to do this') => new AppError('forbidden', message);
export const validationError = (message: string, details?: Record<string, unknown>) =>
  new AppError('validation_error', message, details);

/** CLI exit codes (INTERFACE.md): 0 ok, 1 failed, 2 usage. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export function exitCodeFor(err: unknown): number {
  if (isAppError(err) && err.code === 'validation_error') return EXIT_USAGE;
  return EXIT_FAILURE;
}
