/** The token endpoint's success body (RFC 6749 §5.1; OIDC Core §3.1.3.3). */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  /** Absent when the token carries no OAuth scopes (an exchanged agent or group token). */
  scope?: string;
  refresh_token?: string;
  id_token?: string;
  /** RFC 8693 §2.2.1: what a token exchange issued. */
  issued_token_type?: string;
}
