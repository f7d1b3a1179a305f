import { randomBytes } from 'node:crypto';
import { createGuardrails, generateSecret, generateSync, generateURI, verifySync } from 'otplib';
import { NodeCryptoPlugin } from '@otplib/plugin-crypto-node';
import { hashOpaqueToken } from '../tokens/opaque-tokens.ts';

/**
 * RFC 6238 as every authenticator app speaks it: HMAC-SHA1, 6 digits, 30-second steps, a 160-bit base32 secret.
 * A code is accepted in its own step and one step either side (clock drift), and never for a step at or before
 * the last one accepted (`afterStep`), so a code — or an older one — works once.
 */
export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** ±1 step. */
export const TOTP_TOLERANCE_SECONDS = TOTP_PERIOD_SECONDS;
/** HMAC by node:crypto (OpenSSL) rather than otplib's pure-JS default: the same codes, a quarter less CPU per check. */
const crypto = new NodeCryptoPlugin();
/** otplib's default limits, made once instead of per check. */
const guardrails = createGuardrails();

export function newTotpSecret(): string {
  return generateSecret({ length: 20, crypto });
}

export function totpUri(secret: string, issuer: string, accountName: string): string {
  return generateURI({ issuer, label: accountName, secret, period: TOTP_PERIOD_SECONDS, digits: TOTP_DIGITS });
}

/** The otpauth:// URI as an SVG QR code, as a data URL an <img> shows. */
export async function totpQrSvgDataUrl(uri: string): Promise<string> {
  // Only an enrolment draws a QR code: loaded then, not at every start.
  const { default: QRCode } = await import('qrcode');
  const svg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
}

/** The time step a code is valid for at `epochSeconds`, or null (wrong, outside the window, or not after `afterStep`). */
export function matchingTotpStep(secret: string, code: string, epochSeconds: number, afterStep: number | null): number | null {
  const token = code.replace(/\s+/g, '');
  if (!/^\d{6}$/.test(token)) return null;
  const result = verifySync({
    crypto,
    guardrails,
    secret,
    token,
    epoch: epochSeconds,
    period: TOTP_PERIOD_SECONDS,
    epochTolerance: TOTP_TOLERANCE_SECONDS,
    ...(afterStep === null ? {} : { afterTimeStep: afterStep }),
  });
  return result.valid ? (result as { timeStep: number }).timeStep : null;
}

/** The code of `epochSeconds` (tests, the bench). */
export function totpCodeAt(secret: string, epochSeconds: number): string {
  return generateSync({ crypto, secret, epoch: epochSeconds, period: TOTP_PERIOD_SECONDS, digits: TOTP_DIGITS });
}

export const RECOVERY_CODE_COUNT = 10;
const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789'; // no 0/o, 1/l/i

/**
 * Ten one-time codes of 16 characters from a 31-letter alphabet (≈ 79 bits each), shown as `xxxx-xxxx-xxxx-xxxx`.
 * High entropy is what lets them be stored as a plain SHA-256, like the other one-time tokens.
 */
export function newRecoveryCodes(count = RECOVERY_CODE_COUNT): string[] {
  return Array.from({ length: count }, () => {
    const chars: string[] = [];
    while (chars.length < 16) {
      for (const byte of randomBytes(32)) {
        // Rejection sampling keeps every letter equally likely.
        if (byte < 248 && chars.length < 16) chars.push(RECOVERY_ALPHABET[byte % RECOVERY_ALPHABET.length]);
      }
    }
    return chars.join('').replace(/(.{4})(?=.)/g, '$1-');
  });
}

/** Case, spaces and hyphens do not matter when a code is typed back. */
export function hashRecoveryCode(code: string): string {
  return hashOpaqueToken(`recovery:${code.toLowerCase().replace(/[\s-]+/g, '')}`);
}
