import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildServer, type App } from '../../src/http/server.ts';
import { createTestInstance, type TestInstance } from '../support/deps.ts';

describe('/openapi.json', () => {
  let t: TestInstance;
  let app: App;
  let doc: { paths: Record<string, Record<string, any>>; components: { schemas: Record<string, unknown> } };
  beforeEach(async () => {
    t = await createTestInstance({ config: { internalApiKey: 'k'.repeat(32) } });
    app = await buildServer(t.deps);
    doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
  });
  afterEach(async () => {
    await app.close();
    t.close();
  });

  it("names request and response shapes with seed 002's schema names", () => {
    const names = Object.keys(doc.components.schemas);
    for (const name of ['AdminUserOut', 'CreateUserRequest', 'PatchUserRequest', 'UpsertCompanyMembershipRequest', 'UpsertBusinessUnitMembershipRequest']) {
      expect(names).toContain(name);
      expect(names).not.toContain(`${name}Input`);
    }
    const createBody = doc.paths['/internal/users'].post.requestBody.content['application/json'].schema;
    expect(createBody).toEqual({ $ref: '#/components/schemas/CreateUserRequest' });
  });

  it('has no reference to a schema it does not define', () => {
    const refs = [...JSON.stringify(doc).matchAll(/"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of new Set(refs)) expect(doc.components.schemas, ref).toHaveProperty(ref);
  });

  it('documents every route family of the seed contract', () => {
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/auth/login', '/auth/refresh', '/auth/me', '/auth/me/access', '/auth/invitations', '/internal/users', '/internal/users/{id}/context', '/.well-known/jwks.json']),
    );
  });
});
