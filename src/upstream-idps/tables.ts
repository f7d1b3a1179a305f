/**
 * The rows of the upstream-idps context (migration 0095). Only src/upstream-idps/store.ts reads or writes them.
 *
 *   upstream_idps        one OpenID provider a tenant's users may sign in with (Google, Entra, Keycloak, another kimauth)
 *   upstream_idp_links   which kimauth user a provider's subject (`sub`) is; the provider's name is kept beside it
 *   upstream_sign_ins    a sign-in sent to a provider and not yet back: state (hashed), nonce, PKCE verifier (sealed)
 */
export interface UpstreamIdpRow {
  id: string;
  tenant_id: string;
  /** [a-z0-9-], unique per tenant: in the sign-in and callback URLs. */
  name: string;
  /** What the button says: "Continue with {display_name}". */
  display_name: string;
  issuer: string;
  client_id: string;
  /** sealToText(masterKeys, secret, `upstream-idp:<id>`). */
  client_secret_sealed: string;
  /** Space-separated scopes asked of the provider. */
  scopes: string;
  /** JSON array of lower-case email domains; empty means any. */
  allowed_domains: string;
  link_by_verified_email: number;
  create_users: number;
  /** The users.auth_provider a user this provider creates gets (seed 002: google, microsoft, sso, other). */
  auth_provider: string;
  created_at: number;
  updated_at: number;
}

export interface UpstreamLinkRow {
  idp_id: string;
  subject: string;
  user_id: string;
  provider_name: string;
  issuer: string;
  /** The email the provider gave when the link was made (for operators; sign-in never matches on it). */
  email: string | null;
  created_at: number;
}

export interface UpstreamSignInRow {
  /** SHA-256 of the `state` sent to the provider; the browser holds the state itself in a cookie. */
  state_hash: string;
  idp_id: string;
  nonce: string;
  code_verifier_sealed: string;
  /** The pending authorization of the relying party, as sealed by src/oidc/authorization-request.ts. */
  request: string;
  created_at: number;
  expires_at: number;
}
