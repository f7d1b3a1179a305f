import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import { signRs256 } from './rs256.ts';
import { signingAlgOf, type Jwks, type SigningAlg } from '../keys/signing-keys.ts';

/**
 * Compact JWS for tenant tokens with cached KeyObjects on node:crypto: RS256 (on the thread pool, as the platform
 * tokens), ES256 and EdDSA (synchronous: they cost a few µs, less than a hop to the pool).
 */
const b64url = (input: Buffer | string) => Buffer.from(input).toString('base64url');

const headers = new Map<string, string>();
function encodedHeader(alg: SigningAlg, kid: string, typ: string): string {
  const key = `${alg}|${kid}|${typ}`;
  let h = headers.get(key);
  if (!h) {
    if (headers.size > 1000) headers.clear();
    h = b64url(JSON.stringify({ alg, kid, typ }));
    headers.set(key, h);
  }
  return h;
}

export async function signJws(payload: Record<string, unknown>, key: { kid: string; privateKey: KeyObject }, typ = 'JWT'): Promise<string> {
  const alg = signingAlgOf(key.privateKey);
  if (alg === 'RS256' && typ === 'JWT') return signRs256(payload, key.kid, key.privateKey);
  const input = `${encodedHeader(alg, key.kid, typ)}.${b64url(JSON.stringify(payload))}`;
  let signature: Buffer;
  if (alg === 'RS256') signature = await signRsaOnPool(input, key.privateKey);
  else if (alg === 'ES256') signature = sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  else signature = sign(null, Buffer.from(input), key.privateKey);
  return `${input}.${signature.toString('base64url')}`;
}

function signRsaOnPool(input: string, privateKey: KeyObject): Promise<Buffer> {
  return new Promise((resolve, reject) => sign('sha256', Buffer.from(input), privateKey, (err, sig) => (err ? reject(err) : resolve(sig))));
}

export class TokenSignatureError extends Error {}

const B64URL = /^[A-Za-z0-9_-]+$/;
const KTY: Record<SigningAlg, string> = { RS256: 'rsa', ES256: 'ec', EdDSA: 'ed25519' };

function segment(s: string | undefined): Record<string, unknown> {
  if (!s || !B64URL.test(s)) throw new TokenSignatureError('malformed token');
  try {
    const v = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
    if (v && typeof v === 'object' && !Array.isArray(v)) return v;
  } catch {
    // fall through
  }
  throw new TokenSignatureError('malformed token');
}

const publicKeyCache = new WeakMap<Jwks, Map<string, KeyObject>>();

/** The public KeyObjects of one JWKS document, imported once per document. */
function keysOf(jwks: Jwks): Map<string, KeyObject> {
  let keys = publicKeyCache.get(jwks);
  if (!keys) {
    keys = new Map();
    for (const jwk of jwks.keys as Array<JWK & { kid?: string }>) {
      if (typeof jwk.kid === 'string') keys.set(jwk.kid, createPublicKey({ key: jwk as never, format: 'jwk' }));
    }
    publicKeyCache.set(jwks, keys);
  }
  return keys;
}

/**
 * The `kid` a JWS header segment names, decoded once per distinct header: a tenant signs every token with one of a
 * few headers, and a door that sorts tokens by issuer asks this on every request.
 */
const kidsByHeader = new Map<string, string | null>();
function kidOf(headerSegment: string): string | null {
  let kid = kidsByHeader.get(headerSegment);
  if (kid === undefined) {
    try {
      const named = segment(headerSegment).kid;
      kid = typeof named === 'string' ? named : null;
    } catch {
      kid = null;
    }
    // Bounded: at most 1,000 headers of at most 300 characters (kimauth's own are under 120).
    if (headerSegment.length > 300) return kid;
    if (kidsByHeader.size >= 1000) kidsByHeader.clear();
    kidsByHeader.set(headerSegment, kid);
  }
  return kid;
}

/**
 * Whether a compact JWS names (by kid) one of these keys: a cheap test before verifying, for a door that accepts
 * tokens of several issuers and must not pay for building a refusal on each foreign one.
 */
export function namesKeyOf(token: string, jwks: Jwks): boolean {
  const dot = token.indexOf('.');
  if (dot <= 0) return false;
  const kid = kidOf(token.slice(0, dot));
  return kid !== null && keysOf(jwks).has(kid);
}

/**
 * Verifies a compact JWS against one tenant's published keys. Only RS256, ES256 and EdDSA, only with a key of
 * that type found by `kid`: `alg: none` and HMAC with a public key as secret are refused.
 */
export function verifyJws(token: string, jwks: Jwks): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const parts = token.split('.');
  if (parts.length !== 3) throw new TokenSignatureError('not a compact JWS');
  const header = segment(parts[0]);
  const alg = header.alg as SigningAlg;
  if (alg !== 'RS256' && alg !== 'ES256' && alg !== 'EdDSA') throw new TokenSignatureError('unsupported alg');
  if ('crit' in header) throw new TokenSignatureError('unsupported crit header');
  const key = typeof header.kid === 'string' ? keysOf(jwks).get(header.kid) : undefined;
  if (!key || key.asymmetricKeyType !== KTY[alg]) throw new TokenSignatureError('no matching key');
  if (!B64URL.test(parts[2])) throw new TokenSignatureError('malformed signature');
  const data = Buffer.from(`${parts[0]}.${parts[1]}`);
  const sig = Buffer.from(parts[2], 'base64url');
  const good =
    alg === 'RS256'
      ? verify('sha256', data, key, sig)
      : alg === 'ES256'
        ? verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, sig)
        : verify(null, data, key, sig);
  if (!good) throw new TokenSignatureError('bad signature');
  return { header, payload: segment(parts[1]) };
}
