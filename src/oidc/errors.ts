/**
 * An OAuth 2.0 / OIDC protocol error (RFC 6749 §5.2, RFC 6750 §3, OIDC Core §3.1.2.6): the OAuth endpoints answer
 * `{ error, error_description }`, never the seed envelope. `invalid_client` is 401 with WWW-Authenticate.
 */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'access_denied'
  | 'unsupported_response_type'
  | 'server_error'
  | 'login_required'
  | 'invalid_token'
  | 'unsupported_token_type'
  /** RFC 8693 §2.2.2: the requested audience is not one the subject may have. */
  | 'invalid_target';

const STATUS: Partial<Record<OAuthErrorCode, number>> = { invalid_client: 401, invalid_token: 401, server_error: 500 };

export class OAuthError extends Error {
  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
    readonly status: number = STATUS[error] ?? 400,
  ) {
    super(description);
    this.name = 'OAuthError';
  }

  body(): { error: string; error_description: string } {
    return { error: this.error, error_description: this.description };
  }
}

export const invalidClient = (description = 'Client authentication failed') => new OAuthError('invalid_client', description);
export const invalidGrant = (description: string) => new OAuthError('invalid_grant', description);
export const invalidRequest = (description: string) => new OAuthError('invalid_request', description);
export const invalidToken = (description = 'The access token is invalid') => new OAuthError('invalid_token', description);
