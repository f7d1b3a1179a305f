/**
 * Examples for /openapi.json, by operationId, taken from seed 002 where it gives them (§4.1–§4.8, the JWT claims
 * example of §9 for /auth/me). Redocly checks each against its schema (test/http/openapi-lint.test.ts).
 */
export interface OperationExamples {
  request?: unknown;
  responses?: Record<string, unknown>;
}

const tokenPair = {
  success: true,
  data: { accessToken: 'eyJhbGciOiJSUzI1NiIsImtpZCI6Ii4uLiJ9.eyJzdWIiOiIuLi4ifQ.c2ln', refreshToken: 'rt_3k9QX…', expiresIn: 900, tokenType: 'Bearer' },
};
const statusOk = { success: true, data: { status: 'ok' } };

export const SEED_EXAMPLES: Record<string, OperationExamples> = {
  registerUser: {
    request: { email: 'user@example.com', password: 'at-least-8-chars', fullName: 'Display Name', phoneNumber: '', profilePictureUrl: '', authProvider: 'password' },
    responses: { '201': { success: true, data: { email: 'user@example.com', status: 'pending' } } },
  },
  login: {
    request: { email: 'user@example.com', password: 'string', accountType: '' },
    responses: { '200': tokenPair },
  },
  refreshTokens: {
    request: { refreshToken: '<opaque refresh token from login or previous refresh>' },
    responses: { '200': tokenPair },
  },
  logout: { request: { refreshToken: '<current refresh token>' }, responses: { '200': statusOk } },
  logoutEverywhere: { responses: { '200': statusOk } },
  getMe: {
    responses: {
      '200': {
        success: true,
        data: {
          id: '550e8400-e29b-41d4-a716-446655440000',
          email: 'user@example.com',
          name: 'Example User',
          sessionId: '6ba7b810-9dad-11d1-80b4-00c04fd430c8',
          authType: 'internal',
          globalRole: 'NONE',
          roles: 'User',
          tokenVersion: 1,
          isVendor: false,
          vendorId: null,
          approvalStatus: 'APPROVED',
          isActive: true,
          authProvider: 'password',
          phoneNumber: null,
          profilePictureUrl: null,
          companyMemberships: [],
          businessUnitMemberships: [],
        },
      },
    },
  },
  requestPasswordReset: { request: { email: 'user@example.com', accountType: '' }, responses: { '200': statusOk } },
  confirmPasswordReset: { request: { token: '<opaque token>', newPassword: 'a-new-strong-password' } },
};
