/**
 * Bundles the CLI into ONE CommonJS file for Node's Single Executable Applications (on Node 20 the SEA main
 * must be CJS: no top-level await, no import.meta). Native addons become SEA assets loaded by
 * native-addon-loader.ts; the few dependencies that do not fit CJS as published are adapted here.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as esbuild from 'esbuild';
import type { EmbeddedAddon } from './native-addon-loader.ts';

const LOADER = path.join(import.meta.dirname, 'native-addon-loader.ts');

export interface EmbeddedAddonSource extends EmbeddedAddon {
  sourcePath: string;
}

export interface BundleResult {
  outfile: string;
  /** Native addons the bundle loads from SEA assets, by asset key. */
  addons: Map<string, EmbeddedAddonSource>;
  warnings: string[];
  /** esbuild's account of every input and import: what pulls a module into a command's start. */
  metafile: esbuild.Metafile;
}

export interface BundleOptions {
  entry: string;
  outfile: string;
  minify?: boolean;
  /** better-sqlite3's addon compiled for the target Node's ABI; default: the one in node_modules. */
  betterSqliteAddon?: string;
  /** The Node the bundle will run on: the export names of its lazily loaded builtins are read from it. */
  targetNode?: string;
}

export async function bundleForSea(options: BundleOptions): Promise<BundleResult> {
  const addons = new Map<string, EmbeddedAddonSource>();
  const result = await esbuild.build({
    entryPoints: [options.entry],
    outfile: options.outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // Class fields as assignments: V8 compiles a separate initializer function for every class with fields (drizzle
    // defines ~150 classes at import), each one more function in the code cache that every start deserializes.
    supported: { 'class-field': false, 'class-static-field': false },
    minifyWhitespace: options.minify ?? true,
    minifySyntax: options.minify ?? true,
    // Shorter local names: less source to copy and to hash for the code cache at every start (keepNames keeps
    // function and class .name as written).
    minifyIdentifiers: options.minify ?? true,
    keepNames: true,
    legalComments: 'none',
    logLevel: 'silent',
    metafile: true,
    // A CJS file has no import.meta; point it at the file actually running (the binary itself in a SEA).
    banner: {
      js: [
        '"use strict";',
        'var __kimauthFilename = typeof __filename === "string" ? __filename : process.execPath;',
        'var __kimauthDirname = require("node:path").dirname(__kimauthFilename);',
        'var __kimauthImportMetaUrl = require("node:url").pathToFileURL(__kimauthFilename).href;',
      ].join('\n'),
    },
    define: {
      'import.meta.url': '__kimauthImportMetaUrl',
      'import.meta.filename': '__kimauthFilename',
      'import.meta.dirname': '__kimauthDirname',
    },
    plugins: [lazyBuiltinsPlugin(options.targetNode ?? process.execPath), lazyPackagesPlugin(), nativeAddonsPlugin(addons), betterSqliteBindingsPlugin(addons, options.betterSqliteAddon), topLevelAwaitPlugin()],
  });
  const warnings = result.warnings.map((w) => `${w.location?.file ?? ''}: ${w.text}`);
  return { outfile: options.outfile, addons, warnings, metafile: result.metafile };
}

/**
 * Builtins that Node has not loaded when a script starts and that cost milliseconds each to load (node:crypto alone
 * ~10 ms): most commands never call them, yet every module that imports one would load it at start.
 */
const LAZY_BUILTINS = ['assert', 'child_process', 'cluster', 'crypto', 'dns', 'http', 'http2', 'https', 'net', 'os', 'perf_hooks', 'readline', 'tls', 'tty', 'worker_threads', 'zlib'];

/**
 * Each of LAZY_BUILTINS becomes a stand-in that loads the real module on first use of one of its exports. esbuild's
 * ESM interop copies a module's export names (ownKeys) as getters; those names are read at build time from the Node
 * the bundle runs on, so the copy needs no load and every getter reaches the real export.
 */
function lazyBuiltinsPlugin(targetNode: string): esbuild.Plugin {
  const filter = new RegExp(`^(node:)?(${LAZY_BUILTINS.join('|')})$`);
  let shapes: Record<string, BuiltinShape> | undefined;
  const shapeOf = (name: string) => {
    const probe = `JSON.stringify(Object.fromEntries(${JSON.stringify(LAZY_BUILTINS)}.map((m) => [m, { names: Object.getOwnPropertyNames(require(m)), callable: typeof require(m) === 'function' }])))`;
    shapes ??= JSON.parse(execFileSync(targetNode, ['-p', probe], { encoding: 'utf8' })) as Record<string, BuiltinShape>;
    return shapes[name];
  };
  return {
    name: 'kimauth-lazy-builtins',
    setup(build) {
      build.onResolve({ filter }, (args) => {
        if (args.namespace === 'kimauth-lazy-builtin') return { path: args.path, external: true };
        return { path: args.path.replace(/^node:/, ''), namespace: 'kimauth-lazy-builtin' };
      });
      build.onLoad({ filter: /.*/, namespace: 'kimauth-lazy-builtin' }, (args) => ({
        contents: lazyModuleSource(`node:${args.path}`, shapeOf(args.path)),
        loader: 'js',
      }));
    },
  };
}

/**
 * Libraries kimauth's own modules import at the top but most commands never call: pino (a command's logger is
 * silent; pino also loads worker_threads and os), jose (tokens and signed audit heads), cli-table3 (human output
 * only). Imports of them from src/ get the same kind of stand-in as LAZY_BUILTINS; libraries that import them (fastify
 * imports pino) get the real module, the same instance.
 */
const LAZY_PACKAGES = ['pino', 'jose', 'cli-table3'];

function lazyPackagesPlugin(): esbuild.Plugin {
  const filter = new RegExp(`^(${LAZY_PACKAGES.join('|')})$`);
  return {
    name: 'kimauth-lazy-packages',
    setup(build) {
      build.onResolve({ filter }, async (args) => {
        if (args.pluginData?.real || args.importer.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
        // The file an import statement gets, so the stand-in and the libraries share one instance.
        const real = await build.resolve(args.path, { kind: 'import-statement', resolveDir: args.resolveDir, pluginData: { real: true } });
        if (real.errors.length) return { errors: real.errors };
        return { path: real.path, namespace: 'kimauth-lazy-package', pluginData: { name: args.path } };
      });
      // zod's namespaces re-export all ~50 of its locales (`z.locales`); kimauth only configures English (en.js).
      build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, async (args) => {
        if (args.pluginData?.real || !/[\\/]zod[\\/]v4[\\/](core|mini|classic)[\\/]/.test(args.importer)) return undefined;
        const real = await build.resolve(args.path, { kind: 'import-statement', resolveDir: args.resolveDir, pluginData: { real: true } });
        if (real.errors.length) return { errors: real.errors };
        return { path: real.path, namespace: 'kimauth-lazy-package' };
      });
      build.onLoad({ filter: /.*/, namespace: 'kimauth-lazy-package' }, async (args) => ({
        contents: lazyModuleSource(args.path, await packageShape(args.path)),
        loader: 'js',
        resolveDir: path.dirname(args.path),
      }));
    },
  };
}

/** Export names of a package's file as `require` in the bundle sees them (a CJS module.exports, or an ESM namespace). */
async function packageShape(file: string): Promise<BuiltinShape> {
  try {
    const exports = createRequire(file)(file) as object;
    return { names: Object.getOwnPropertyNames(exports), callable: typeof exports === 'function' };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_REQUIRE_ESM' && !(err instanceof SyntaxError)) throw err;
    const namespace = (await import(file)) as object;
    return { names: Object.keys(namespace), callable: false };
  }
}

interface BuiltinShape {
  names: string[];
  /** node:assert is itself a function. */
  callable: boolean;
}

function lazyModuleSource(specifier: string, shape: BuiltinShape): string {
  // A callable stand-in is a plain function (it can be called and constructed); its own `prototype` cannot be
  // reconfigured, so that one descriptor is the stand-in's own.
  return `let real;
const load = () => real || (real = require(${JSON.stringify(specifier)}));
const names = ${JSON.stringify(shape.callable ? [...new Set([...shape.names, 'prototype'])] : shape.names)};
const target = ${shape.callable ? 'function () {}' : '{}'};
module.exports = new Proxy(target, {
  apply: (_, self, args) => Reflect.apply(load(), self, args),
  construct: (_, args, newTarget) => Reflect.construct(load(), args, newTarget),
  get: (_, key) => (key === '__esModule' ? undefined : load()[key]),
  set: (_, key, value) => { load()[key] = value; return true; },
  has: (_, key) => key in load(),
  ownKeys: () => (real ? [...new Set([...Reflect.ownKeys(real), ...Reflect.ownKeys(target).filter((k) => !Reflect.getOwnPropertyDescriptor(target, k).configurable)])] : names),
  getOwnPropertyDescriptor: (_, key) => {
    const own = Reflect.getOwnPropertyDescriptor(target, key);
    if (own && !own.configurable) return own;
    const desc = real ? Reflect.getOwnPropertyDescriptor(real, key) : names.includes(key) ? { enumerable: true, writable: true, value: undefined } : undefined;
    return desc && { ...desc, configurable: true };
  },
  getPrototypeOf: () => Object.prototype,
  defineProperty: (_, key, desc) => Reflect.defineProperty(load(), key, desc),
  deleteProperty: (_, key) => Reflect.deleteProperty(load(), key),
});
`;
}

function describeAddon(sourcePath: string): EmbeddedAddonSource {
  const bytes = readFileSync(sourcePath);
  const fileName = path.basename(sourcePath);
  return {
    sourcePath,
    assetKey: `native/${fileName}`,
    fileName,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    size: statSync(sourcePath).size,
  };
}

function addonModule(addon: EmbeddedAddonSource, exportShape: 'addon' | 'bindings-function'): esbuild.OnLoadResult {
  const descriptor = JSON.stringify({ assetKey: addon.assetKey, sha256: addon.sha256, size: addon.size, fileName: addon.fileName });
  const load = `require(${JSON.stringify(LOADER)}).loadEmbeddedAddon(${descriptor})`;
  return {
    contents:
      exportShape === 'addon'
        ? `module.exports = ${load};`
        : `let addon; module.exports = function bindings() { return addon || (addon = ${load}); };`,
    loader: 'js',
    resolveDir: path.dirname(LOADER),
  };
}

/** A module for an optional platform package that is not installed: it throws like a missing module. */
const MISSING_MODULE: esbuild.OnLoadResult = {
  contents: `throw Object.assign(new Error('not part of the kimauth binary'), { code: 'MODULE_NOT_FOUND' });`,
  loader: 'js',
};

/**
 * Every `.node` require becomes a SEA asset. napi-rs packages (@node-rs/argon2) probe ~20 platform packages
 * and local `.node` files in try/catch; the ones that are not installed become modules that throw, so the
 * bundle neither fails to build nor leaves runtime requires that a SEA cannot satisfy.
 */
function nativeAddonsPlugin(addons: Map<string, EmbeddedAddonSource>): esbuild.Plugin {
  return {
    name: 'kimauth-native-addons',
    setup(build) {
      build.onResolve({ filter: /\.node$|^@node-rs\/[^/]+-[^/]+|\.wasi(-browser)?\.cjs$/ }, (args) => {
        if (args.kind !== 'require-call') return undefined;
        let resolved: string;
        try {
          resolved = createRequire(path.join(args.resolveDir, 'noop.js')).resolve(args.path);
        } catch {
          return { path: args.path, namespace: 'kimauth-missing' };
        }
        if (!resolved.endsWith('.node')) return { path: resolved };
        const addon = describeAddon(resolved);
        addons.set(addon.assetKey, addon);
        return { path: addon.assetKey, namespace: 'kimauth-addon' };
      });
      build.onLoad({ filter: /.*/, namespace: 'kimauth-missing' }, () => MISSING_MODULE);
      build.onLoad({ filter: /.*/, namespace: 'kimauth-addon' }, (args) => addonModule(addons.get(args.path)!, 'addon'));
    },
  };
}

/** better-sqlite3 finds its addon through `bindings`, which searches the file system at run time. */
function betterSqliteBindingsPlugin(addons: Map<string, EmbeddedAddonSource>, addonPath?: string): esbuild.Plugin {
  return {
    name: 'kimauth-better-sqlite3-bindings',
    setup(build) {
      build.onResolve({ filter: /^bindings$/ }, (args) => {
        if (!args.importer.includes(`${path.sep}better-sqlite3${path.sep}`)) return undefined;
        const sourcePath = addonPath ?? createRequire(args.importer).resolve('better-sqlite3/build/Release/better_sqlite3.node');
        const addon = describeAddon(sourcePath);
        addons.set(addon.assetKey, addon);
        return { path: addon.assetKey, namespace: 'kimauth-bindings' };
      });
      build.onLoad({ filter: /.*/, namespace: 'kimauth-bindings' }, (args) =>
        addonModule(addons.get(args.path)!, 'bindings-function'),
      );
    },
  };
}

/**
 * ink's layout engine (yoga-layout) awaits its WebAssembly at module top level, and ink's reconciler awaits
 * optional devtools and its package.json; CJS allows neither. Yoga's wasm is instantiated synchronously instead (its
 * Emscripten glue accepts an `instantiateWasm` hook), and devtools are left out of the binary.
 */
function topLevelAwaitPlugin(): esbuild.Plugin {
  return {
    name: 'kimauth-no-top-level-await',
    setup(build) {
      build.onLoad({ filter: /[\\/]yoga-layout[\\/]dist[\\/]src[\\/]index\.js$/ }, (args) => {
        const glue = readFileSync(path.join(path.dirname(args.path), '../binaries/yoga-wasm-base64-esm.js'), 'utf8');
        const wasm = /data:application\/octet-stream;base64,([A-Za-z0-9+/=]+)/.exec(glue)?.[1];
        if (!wasm) throw new Error('yoga-layout: embedded wasm not found; its packaging changed');
        const source = readFileSync(args.path, 'utf8');
        const awaited = 'wrapAssembly(await loadYoga())';
        if (!source.includes(awaited)) throw new Error('yoga-layout: top-level await not found; its packaging changed');
        const syncLoad = `wrapAssembly((() => {
  const yogaModule = {
    instantiateWasm(imports, receiveInstance) {
      const instance = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(${JSON.stringify(wasm)}, 'base64')), imports);
      receiveInstance(instance);
      return instance.exports;
    },
  };
  loadYoga(yogaModule);
  if (!yogaModule.calledRun) throw new Error('yoga-layout did not initialise synchronously');
  return yogaModule;
})())`;
        return { contents: source.replace(awaited, syncLoad), loader: 'js' };
      });
      // Both awaits only run with DEV=true (React devtools); any other top-level await still fails the build.
      build.onLoad({ filter: /[\\/]ink[\\/]build[\\/]reconciler\.js$/ }, (args) => {
        const source = readFileSync(args.path, 'utf8')
          .replace("await import('./devtools.js');", 'void 0;')
          .replace('? await loadPackageJson()', "? { name: 'ink', version: undefined }");
        return { contents: source, loader: 'js' };
      });
    },
  };
}
