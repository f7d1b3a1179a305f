import { copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, type App } from '../../src/http/server.ts';
import { ADMIN_EMAIL, ADMIN_PASSWORD, createTestInstance, tempDir, type TestInstance } from '../support/deps.ts';
import { ROOT } from '../support/processes.ts';

const CLIENT = path.join(ROOT, 'test/fixtures/openapi-client/client.ts');

/** Type errors of a TypeScript program, one line each ("file:line message"). */
function typeErrors(files: string[]): string[] {
  const program = ts.createProgram(files, {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    allowImportingTsExtensions: true,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    types: [],
    skipLibCheck: true,
  });
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file ? `${path.basename(d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1} ` : '';
    return where + ts.flattenDiagnosticMessageText(d.messageText, '\n');
  });
}

/**
 * What a client generator makes of /openapi.json: TypeScript types from openapi-typescript, and a small client
 * written against them (test/fixtures/openapi-client/client.ts) that must type-check and then work over real HTTP.
 */
describe('a typed client generated from /openapi.json', () => {
  const dir = tempDir('kimauth-openapi-client-');
  let t: TestInstance;
  let app: App;
  let url: string;
  beforeAll(async () => {
    t = await createTestInstance();
    app = await buildServer(t.deps);
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await app.close();
    t.close();
    dir.remove();
  });

  it('type-checks a client of login, refresh and /auth/me, which then signs in against the running server', async () => {
    const document = await (await fetch(`${url}/openapi.json`)).json();
    const types = astToString(await openapiTS(document));
    expect(types).toContain('"/auth/me"');
    writeFileSync(path.join(dir.path, 'kimauth-api.ts'), types);
    const client = path.join(dir.path, 'client.ts');
    copyFileSync(CLIENT, client);
    expect(typeErrors([client])).toEqual([]);

    // The copy beside the generated types, as type-checked; its signature is restated so tsc need not load it.
    const { signInAndIdentify } = (await import(client)) as {
      signInAndIdentify(baseUrl: string, email: string, password: string): Promise<{ email: string; tokenType: string; refreshed: boolean }>;
    };
    expect(await signInAndIdentify(url, ADMIN_EMAIL, ADMIN_PASSWORD)).toEqual({ email: ADMIN_EMAIL, tokenType: 'Bearer', refreshed: true });
  }, 30_000);

  it('stops type-checking when the client asks for a field the document does not have', () => {
    const broken = path.join(dir.path, 'broken.ts');
    writeFileSync(
      broken,
      `import type { paths } from './kimauth-api.ts';
type Me = paths['/auth/me']['get']['responses'][200]['content']['application/json'];
export const name = (me: Me): string => me.data.nickname;\n`,
    );
    expect(typeErrors([broken]).join('\n')).toMatch(/nickname/);
  });
});
