// Bundles the extension and the CLI with esbuild into dist/.
// `--watch` rebuilds on change; `--minify=false` keeps output readable.
import * as esbuild from 'esbuild';
import { chmodSync } from 'node:fs';
import { dirname, join } from 'node:path';

const watch = process.argv.includes('--watch');
const minify = !process.argv.includes('--minify=false');

/** @type {esbuild.BuildOptions} */
const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: 'linked',
  minify,
  logLevel: 'warning',
  // client-node pulls optional modules it never uses on this path.
  external: ['vscode'],
  // `await import()` becomes a lazy require(), so the separate kube.js loads as plain CommonJS.
  supported: { 'dynamic-import': false },
};

// @kubernetes/client-node is ~3 MB of the bundle and only ever loaded with `await import()` when a
// cluster is first needed. Bundling it into its own file, shared by the extension and the CLI, keeps
// it out of what VS Code parses at activation and out of the .vsix twice.
const kubeAsSeparateFile = {
  name: 'kube-separate-file',
  setup(build) {
    build.onResolve({ filter: /^(@kubernetes\/client-node|https-proxy-agent|http-proxy-agent|socks-proxy-agent)$/ }, () => ({ path: './kube.js', external: true }));
  },
};

// The CSR review's x509 stack (@peculiar/x509 + asn1 + tsyringe + reflect-metadata, ~300 kB) is only
// required at the first decode (src/core/csr/decode.ts): in its own file, VS Code does not even parse
// it at activation. dist/x509.js loads reflect-metadata first, then exports @peculiar/x509.
const x509AsSeparateFile = {
  name: 'x509-separate-file',
  setup(build) {
    build.onResolve({ filter: /^(@peculiar\/x509|reflect-metadata)$/ }, () => ({ path: './x509.js', external: true }));
  },
};

// dist/kube.js holds only what src/core/cluster takes from client-node (the `KubeModule` type in
// src/core/cluster/connect.ts): its Watch (the informer's), plus the proxy agents that
// src/core/cluster/credentials.ts loads for a cluster with proxy-url (the credentials themselves are
// read by our own code, as kubectl reads them). The whole library costs ~110 ms to load. Two cuts,
// neither changing behaviour (kept for when config.js is bundled again): config.js imports only createConfiguration and ServerConfiguration
// from the generated API's index, which otherwise drags in every model through ObjectSerializer; and
// node-fetch uses `Url.URL || whatwgUrl.URL`, where Node's URL always wins, so whatwg-url (with its
// 260 kB tr46 table) is replaced by Node's URL.
const KUBE_ENTRY = `export { Watch } from '@kubernetes/client-node/dist/watch.js';
export { HttpsProxyAgent } from 'https-proxy-agent';
export { HttpProxyAgent } from 'http-proxy-agent';
export { SocksProxyAgent } from 'socks-proxy-agent';`;
const kubeNarrow = {
  name: 'kube-narrow',
  setup(build) {
    build.onResolve({ filter: /^\.\/gen\/index\.js$/ }, (a) =>
      /[\\/]@kubernetes[\\/]client-node[\\/]dist[\\/]config\.js$/.test(a.importer) ? { path: join(dirname(a.importer), 'gen', 'index.js'), namespace: 'kube-gen' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'kube-gen' }, (a) => ({
      resolveDir: dirname(a.path),
      loader: 'js',
      contents: "export { createConfiguration } from './configuration.js';\nexport { ServerConfiguration } from './servers.js';",
    }));
    build.onResolve({ filter: /^whatwg-url$/ }, () => ({ path: 'whatwg-url', namespace: 'kube-url' }));
    build.onLoad({ filter: /.*/, namespace: 'kube-url' }, () => ({ loader: 'js', contents: "exports.URL = require('node:url').URL;" }));
  },
};

const builds = [
  { ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', plugins: [kubeAsSeparateFile, x509AsSeparateFile] },
  { ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', plugins: [kubeAsSeparateFile, x509AsSeparateFile], banner: { js: '#!/usr/bin/env node' } },
  {
    ...common,
    stdin: { contents: KUBE_ENTRY, resolveDir: process.cwd(), sourcefile: 'kube.js' },
    plugins: [kubeNarrow],
    outfile: 'dist/kube.js',
  },
  {
    ...common,
    stdin: { contents: "import 'reflect-metadata';\nexport * from '@peculiar/x509';", resolveDir: process.cwd(), sourcefile: 'x509.js' },
    outfile: 'dist/x509.js',
  },
];

if (watch) {
  for (const options of builds) {
    const ctx = await esbuild.context(options);
    await ctx.watch();
  }
  console.log('esbuild: watching src/ …');
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
  chmodSync('dist/cli.js', 0o755);
}
