#!/usr/bin/env node
// Builds a self-hosted GraphiQL 5 (no CDN) into OUTDIR.
//
//   node build.mjs [OUTDIR]      (default: ../../gql/static/graphiql)
//
// The server serves OUTDIR at /graphiql-assets/ and index.html at GET /graphql.
import { mkdir, rm, writeFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const outdir = path.resolve(here, process.argv[2] ?? '../../gql/static/graphiql');
const PUBLIC = '/graphiql-assets';

const started = performance.now();
await mkdir(outdir, { recursive: true });
// Remove only files a previous build wrote (hashed asset names change), never
// anything else that might live in OUTDIR.
const OWN = /^(graphiql\.(js|css)|(editor|json|graphql)\.worker\.js|index\.html|[\w.-]+-[A-Z0-9]{8}\.(ttf|woff2?|eot|svg|png|gif))$/;
for (const name of await readdir(outdir)) {
  if (OWN.test(name)) await rm(path.join(outdir, name));
}

// `graphql-ws` is an optional peer of @graphiql/toolkit, only used for
// websocket subscriptions, which we don't enable.
const stubGraphqlWs = {
  name: 'stub-graphql-ws',
  setup(build) {
    build.onResolve({ filter: /^graphql-ws$/ }, () => ({
      path: path.join(here, 'src/stubs/graphql-ws.js'),
    }));
  },
};

const common = {
  absWorkingDir: here,
  bundle: true,
  minify: true,
  legalComments: 'none',
  target: ['es2022', 'chrome110', 'firefox115', 'safari16'],
  define: { 'process.env.NODE_ENV': '"production"' },
  logLevel: 'warning',
  outdir,
};

await Promise.all([
  // The app: graphiql.js + graphiql.css (+ fonts referenced from the CSS).
  esbuild.build({
    ...common,
    entryPoints: { graphiql: 'src/index.jsx' },
    format: 'esm',
    jsx: 'automatic',
    plugins: [stubGraphqlWs],
    loader: {
      '.ttf': 'file',
      '.woff': 'file',
      '.woff2': 'file',
      '.eot': 'file',
      '.svg': 'file',
      '.png': 'file',
      '.gif': 'file',
    },
    assetNames: '[name]-[hash]',
  }),
  // Monaco web workers, as classic scripts (work with `new Worker(url)`).
  esbuild.build({
    ...common,
    entryPoints: {
      'editor.worker': 'src/workers/editor.worker.js',
      'json.worker': 'src/workers/json.worker.js',
      'graphql.worker': 'src/workers/graphql.worker.js',
    },
    format: 'iife',
  }),
]);

// No inline script or style: works under `script-src 'self'`.
const html = `<!doctype html>
<html lang="nl">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="robots" content="noindex">
    <title>Toegang GraphiQL</title>
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="${PUBLIC}/graphiql.css">
    <script type="module" src="${PUBLIC}/graphiql.js"></script>
  </head>
  <body>
    <div id="graphiql"><div class="graphiql-loading">Loading…</div></div>
  </body>
</html>
`;
await writeFile(path.join(outdir, 'index.html'), html);

const ms = Math.round(performance.now() - started);
for (const name of (await readdir(outdir)).sort()) {
  const { size } = await stat(path.join(outdir, name));
  console.log(`${name.padEnd(32)} ${(size / 1024).toFixed(1).padStart(9)} KiB`);
}
console.log(`GraphiQL built into ${outdir} in ${ms} ms`);
