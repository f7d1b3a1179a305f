import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operationsOf } from '../../src/http/openapi.ts';
import { buildServer, type App } from '../../src/http/server.ts';
import { createTestInstance, tempDir, type TestInstance } from '../support/deps.ts';
import { ROOT } from '../support/processes.ts';

const REDOCLY = path.join(ROOT, 'node_modules/@redocly/cli/bin/cli.js');

/** What tools (client generators, gateways, Redocly) read from /openapi.json, every route family included. */
describe('/openapi.json for tools', () => {
  const dir = tempDir('kimauth-openapi-');
  let t: TestInstance;
  let app: App;
  let doc: any;
  beforeAll(async () => {
    t = await createTestInstance({ config: { internalApiKey: 'k'.repeat(32), publicUrl: 'http://127.0.0.1:3097' } });
    app = await buildServer(t.deps);
    doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
  });
  afterAll(async () => {
    await app.close();
    t.close();
    dir.remove();
  });

  it('gives every operation a unique operationId', () => {
    const operations = operationsOf(doc);
    const missing = operations.filter((o) => !o.operation.operationId).map((o) => `${o.method.toUpperCase()} ${o.path}`);
    expect(missing, "add `operationId: 'verbNoun'` to the schema of these routes").toEqual([]);
    const ids = operations.map((o) => o.operation.operationId);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i), 'operationIds used twice').toEqual([]);
    expect(operations.length).toBeGreaterThan(35);
  });

  it('declares who may call each operation, from the hooks that check it', () => {
    const security = (method: string, p: string) => doc.paths[p][method].security;
    expect(security('post', '/auth/login')).toEqual([]);
    expect(security('get', '/auth/me')).toEqual([{ bearerAuth: [] }]);
    expect(security('post', '/internal/sessions/{id}/revoke')).toEqual([{ internalApiKey: [] }]);
    for (const { method, path: p, operation } of operationsOf(doc)) {
      expect(operation.security, `${method} ${p}`).toBeDefined();
      for (const requirement of operation.security!) {
        for (const scheme of Object.keys(requirement)) expect(doc.components.securitySchemes).toHaveProperty([scheme]);
      }
    }
  });

  it('documents the errors an operation can answer with the seed envelope', () => {
    const errors = (method: string, p: string) =>
      Object.keys(doc.paths[p][method].responses).filter((s) => Number(s) >= 400);
    expect(errors('post', '/auth/login')).toEqual(['400', '429', '500']);
    expect(errors('get', '/auth/me')).toEqual(['401', '403', '500']);
    expect(errors('patch', '/internal/users/{id}')).toEqual(['400', '401', '403', '404', '409', '500']);
    const unauthorized = doc.paths['/auth/me'].get.responses['401'].content['application/json'];
    expect(unauthorized.schema).toEqual({ $ref: '#/components/schemas/ErrorEnvelope' });
    expect(unauthorized.example).toEqual({ success: false, error: { code: 'unauthorized', message: expect.any(String) } });
    expect(doc.components.schemas.ErrorEnvelope.required).toEqual(['success', 'error']);
  });

  it("carries seed 002's examples", () => {
    const login = doc.paths['/auth/login'].post;
    expect(login.requestBody.content['application/json'].example).toEqual({ email: 'user@example.com', password: 'string', accountType: '' });
    expect(login.responses['200'].content['application/json'].example.data.tokenType).toBe('Bearer');
  });

  it("passes Redocly's recommended ruleset without an error", async () => {
    const file = path.join(dir.path, 'openapi.json');
    writeFileSync(file, JSON.stringify(doc));
    // Exit code 1 on errors; the JSON report says which. No redocly.yaml and no ignore file in the repo.
    const { stdout } = await promisify(execFile)(process.execPath, [REDOCLY, 'lint', file, '--extends=recommended', '--format=json'], {
      cwd: dir.path,
    }).catch((err: { stdout: string }) => err);
    const report = JSON.parse(stdout) as { totals: { errors: number; warnings: number }; problems: Array<{ ruleId: string; severity: string; message: string; location: Array<{ pointer: string }> }> };
    const errors = report.problems.filter((p) => p.severity === 'error').map((p) => `${p.ruleId} at ${p.location[0]?.pointer}: ${p.message}`);
    expect(errors).toEqual([]);
    // The only warnings left: /health, /ready and the JWKS cannot answer any 4xx.
    const warnings = report.problems.map((p) => `${p.ruleId} ${p.location[0]?.pointer}`);
    expect(warnings.filter((w) => !/^operation-4xx-response #\/paths\/~1(health|ready|\.well-known~1jwks\.json)\//.test(w))).toEqual([]);
  }, 30_000);
});

describe('GET /docs', () => {
  it('serves the API reference rendered by the bundled Redoc, from this origin only', async () => {
    const t = await createTestInstance();
    const app = await buildServer(t.deps);
    try {
      const page = await app.inject({ method: 'GET', url: '/docs' });
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.body).toContain('spec-url="openapi.json"');
      const scripts = [...page.body.matchAll(/<script[^>]*src="([^"]+)"/g)].map((m) => m[1]);
      expect(scripts).toEqual(['docs/redoc.standalone.js']);
      const bundle = await app.inject({ method: 'GET', url: '/docs/redoc.standalone.js' });
      expect(bundle.statusCode).toBe(200);
      expect(bundle.headers['content-type']).toMatch(/javascript/);
      expect(bundle.body.length).toBeGreaterThan(500_000);
    } finally {
      await app.close();
      t.close();
    }
  });

  it('is off with KIMAUTH_DOCS=false', async () => {
    const t = await createTestInstance({ config: { docs: 'false' } });
    const app = await buildServer(t.deps);
    try {
      expect((await app.inject({ method: 'GET', url: '/docs' })).statusCode).toBe(404);
      expect((await app.inject({ method: 'GET', url: '/docs/redoc.standalone.js' })).statusCode).toBe(404);
    } finally {
      await app.close();
      t.close();
    }
  });
});
