import { z } from 'zod';

/** The answers of /auth/login, /auth/mfa/* and /auth/magic-link/* (issue 13). */
export const TokenPairResponse = z.object({
  accessToken: z.string(),
  refreshToken: z.string(),
  expiresIn: z.number().int(),
  tokenType: z.literal('Bearer'),
});

export const MfaRequiredResponse = z
  .object({
    mfaRequired: z.literal(true),
    mfaEnrollmentRequired: z
      .literal(true)
      .optional()
      .describe(
        'A tenant of the user requires MFA and the user has none: the mfaToken allows only POST /auth/mfa/totp/enroll and /auth/mfa/totp/confirm, whose confirmation completes the sign-in',
      ),
    mfaToken: z.string().describe('Single use, short-lived; give it to POST /auth/mfa/verify (or to enroll/confirm when mfaEnrollmentRequired)'),
    methods: z.array(z.string()).describe('What POST /auth/mfa/verify accepts: "totp" (code), "recovery_code" (recoveryCode); for enrolment: "totp"'),
    expiresIn: z.number().int().describe('Seconds the mfaToken stays valid'),
    requiredBy: z.array(z.string()).optional().describe('With mfaEnrollmentRequired: slugs of the tenants that require MFA'),
  })
  .meta({ id: 'MfaRequired', description: 'The first factor is proven; a second one is needed before tokens are issued' });

/** What /auth/login and /auth/magic-link/verify answer: the token pair, or — for users with MFA — the second step. */
export const LoginResponse = z.union([TokenPairResponse, MfaRequiredResponse]);

const code = z.string().min(1).max(16).describe('The 6-digit code of the authenticator app');
const recoveryCode = z.string().min(1).max(64).describe('One of the ten recovery codes (each works once)');
const mfaToken = z.string().min(1).max(512);

export const MfaVerifyBody = z.object({ mfaToken, code: code.optional(), recoveryCode: recoveryCode.optional() });
export const TotpEnrollBody = z
  .object({ mfaToken: mfaToken.optional().describe('Instead of a Bearer token: the mfaToken of a sign-in answered with mfaEnrollmentRequired') })
  .optional();
export const TotpConfirmBody = z.object({ code, mfaToken: mfaToken.optional().describe('With enrolment required at sign-in, the same mfaToken as for enroll') });
export const TotpDisableBody = z.object({ code: code.optional(), recoveryCode: recoveryCode.optional(), password: z.string().max(1024).optional() });
export const RegenerateBody = z.object({ code });

export const TotpEnrollmentResponse = z.object({
  secret: z.string().describe('Base32, for typing into an app that cannot scan'),
  otpauthUrl: z.string(),
  qrCode: z.string().describe('The otpauth URI as a QR code: data:image/svg+xml;base64,…'),
  period: z.number().int(),
  digits: z.number().int(),
  algorithm: z.literal('SHA1'),
});

export const TotpConfirmationResponse = z.object({
  status: z.literal('enabled'),
  recoveryCodes: z.array(z.string()).describe('Shown this once; store them somewhere safe'),
  login: TokenPairResponse.optional().describe('When confirmed with an enrolment mfaToken: the sign-in it completes'),
});

export const MfaStatusResponse = z.object({
  userId: z.string(),
  email: z.string(),
  totp: z.enum(['none', 'pending', 'active']),
  enabledAt: z.string().nullable(),
  recoveryCodes: z.object({ unused: z.number().int(), total: z.number().int() }),
  requiredBy: z.array(z.string()),
});

export const MagicLinkRequestBody = z.object({ email: z.string().max(254) });
export const MagicLinkVerifyBody = z.object({ token: z.string().min(1).max(512) });
