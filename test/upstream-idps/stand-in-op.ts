import { createServer, type Server } from 'node:http';
import { generateKeyPairSync } from 'node:crypto';
import { exportJWK } from 'jose';
import Provider from 'oidc-provider';
import { freePort } from '../oidc/support.ts';

export interface StandInAccount {
  email?: string;
  email_verified?: boolean;
  name?: string;
}

export interface StandInOp {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** accountId (typed into the provider's login form) → the claims it gets; `sub` is the accountId. */
  accounts: Map<string, StandInAccount>;
  close(): Promise<void>;
}

async function signingJwk() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...(await exportJWK(privateKey)), kid: 'stand-in-rs256', alg: 'RS256', use: 'sig' };
}

/**
 * A real OpenID Provider on loopback (node-oidc-provider) with its development login form: whatever login is typed
 * is the account id. `forgeJwks` makes it a forger: it signs ID tokens with one key and publishes another under the
 * same kid, so a relying party that checks signatures against the JWKS refuses its tokens.
 */
export async function startStandInOp(options: { redirectUris: string[]; forgeJwks?: boolean }): Promise<StandInOp> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const accounts = new Map<string, StandInAccount>();
  const clientId = 'kimauth';
  const clientSecret = 'stand-in-client-secret-0123456789';
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: options.redirectUris,
        response_types: ['code'],
        grant_types: ['authorization_code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    jwks: { keys: [(await signingJwk()) as never] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    findAccount: async (_ctx, id) => {
      const account = accounts.get(id);
      return account ? { accountId: id, claims: async () => ({ sub: id, ...account }) } : undefined;
    },
    // Consent is not what these tests are about: every sign-in is granted what the client asks.
    loadExistingGrant: async (ctx) => {
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client!.clientId, accountId: ctx.oidc.session!.accountId! });
      grant.addOIDCScope('openid email profile');
      await grant.save();
      return grant;
    },
    features: { devInteractions: { enabled: true } },
    pkce: { required: () => true },
  });
  const published = options.forgeJwks ? { keys: [{ ...(await signingJwk()), d: undefined, p: undefined, q: undefined, dp: undefined, dq: undefined, qi: undefined }] } : null;
  const handle = provider.callback();
  const server: Server = createServer((req, res) => {
    if (published && req.url?.split('?')[0] === '/jwks') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(published));
      return;
    }
    handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    issuer,
    clientId,
    clientSecret,
    accounts,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
