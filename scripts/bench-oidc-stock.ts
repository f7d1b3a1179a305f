/**
 * Stock node-oidc-provider for `scripts/bench-oidc.ts` (bench only, never shipped): in-memory adapter, RS256 JWT
 * access tokens (resource indicators with accessTokenFormat 'jwt'), refresh tokens rotated on every use like
 * kimauth's. Prints one JSON line `{ url, clientId, clientSecret, refreshTokens }` on stdout once it listens.
 */
import { generateKeyPairSync } from 'node:crypto';
import { exportJWK } from 'jose';
import Provider from 'oidc-provider';

const RESOURCE = 'urn:bench:api';
const COUNT = Number(process.argv[2] ?? 64);

async function main(): Promise<void> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...(await exportJWK(privateKey)), kid: 'bench-rs256', alg: 'RS256', use: 'sig' };
  const port = Number(process.env.PORT ?? 0);
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'bench',
        client_secret: 'bench-secret-bench-secret-bench-secret',
        grant_types: ['client_credentials', 'refresh_token', 'authorization_code'],
        redirect_uris: ['https://app.example/cb'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: { keys: [jwk as never] },
    scopes: ['openid', 'offline_access', 'api'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({ scope: 'api', audience: RESOURCE, accessTokenFormat: 'jwt', accessTokenTTL: 300, jwt: { sign: { alg: 'RS256' } } }),
      },
    },
    rotateRefreshToken: () => true,
    ttl: { RefreshToken: 86_400, AccessToken: 300, ClientCredentials: 300, Grant: 86_400 },
  });
  provider.proxy = false;
  const server = provider.listen(port, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const actualPort = (server.address() as { port: number }).port;
  if (port === 0) {
    console.error('stock bench: set PORT so the issuer matches the listening URL');
  }
  const client = await provider.Client.find('bench');
  const refreshTokens: string[] = [];
  for (let i = 0; i < COUNT; i++) {
    const grant = new provider.Grant({ accountId: `user-${i}`, clientId: 'bench' });
    grant.addOIDCScope('openid offline_access');
    grant.addResourceScope(RESOURCE, 'api');
    const grantId = await grant.save();
    const rt = new provider.RefreshToken({
      accountId: `user-${i}`,
      grantId,
      client: client!,
      scope: 'openid offline_access api',
      resource: RESOURCE,
      gty: 'authorization_code',
      authTime: Math.floor(Date.now() / 1000),
    } as never);
    refreshTokens.push(await rt.save());
  }
  console.log(JSON.stringify({ url: `http://127.0.0.1:${actualPort}`, clientId: 'bench', clientSecret: 'bench-secret-bench-secret-bench-secret', refreshTokens }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
