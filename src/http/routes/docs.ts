import type { App } from '../server.ts';
import type { Deps } from '../../app/deps.ts';
import { AppError } from '../../app/errors.ts';
import { readAsset } from '../../app/assets.ts';

/** Redoc's self-contained browser bundle, shipped like migrations (src/app/assets.ts; embedded in the binary). */
export const REDOC_BUNDLE = 'node_modules/redoc/bundles/redoc.standalone.js';

/** The page: Redoc renders /openapi.json from this origin; no CDN, no third-party request. */
function docsPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>kimauth API reference</title>
<style>body { margin: 0; }</style>
</head>
<body>
<redoc spec-url="openapi.json" hide-download-button="false"></redoc>
<script src="docs/redoc.standalone.js"></script>
</body>
</html>
`;
}

/** GET /docs: the rendered API reference (KIMAUTH_DOCS=false turns it off: 404). */
export function docsRoutes(app: App, deps: Deps): void {
  if (!deps.config.docs) return;
  let bundle: string | undefined;
  const redoc = () => {
    try {
      return (bundle ??= readAsset(REDOC_BUNDLE));
    } catch {
      // A checkout installed without devDependencies has no Redoc; the binary always embeds it.
      throw new AppError('not_found', 'The API reference renderer is not installed (npm install redoc); /openapi.json is');
    }
  };
  const hide = { hide: true };
  app.get('/docs', { schema: hide }, async (_request, reply) => {
    redoc();
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(docsPage());
  });
  app.get('/docs/redoc.standalone.js', { schema: hide }, async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=86400').send(redoc()),
  );
}
