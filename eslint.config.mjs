// Flat config: typed rules for src/ and test/, and a hard border around src/core.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', '.vscode-test/**', 'test/fixtures/workspaces/**', '**/*.mjs', '**/*.js', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    // The core must stay usable from the CLI and plain-Node tests.
    files: ['src/core/**/*.ts', 'src/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'src/core and src/cli must not depend on VS Code: put VS Code glue under src/vscode.' }] }],
    },
  },
  {
    // Only the cluster adapter may talk to @kubernetes/client-node directly.
    files: ['src/**/*.ts'],
    ignores: ['src/core/cluster/**'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'src/core and src/cli must not depend on VS Code.' }],
        patterns: [{ group: ['@kubernetes/client-node'], message: 'Use src/core/cluster: it is the one adapter that owns @kubernetes/client-node.' }],
      }],
    },
  },
  {
    // Inside the adapter, client-node's code is reached only through loadKube() in connect.ts: the bundles
    // load it from dist/kube.js, which exports only what KubeModule names (scripts/build.mjs).
    files: ['src/core/cluster/**/*.ts'],
    ignores: ['src/core/cluster/connect.ts'],
    rules: {
      'no-restricted-syntax': ['error',
        { selector: "ImportExpression[source.value='@kubernetes/client-node']", message: 'Load client-node with loadKube() (connect.ts): dist/kube.js has only what KubeModule names.' },
        { selector: "ImportDeclaration[source.value='@kubernetes/client-node'][importKind!='type']", message: 'Only type imports of client-node here; load it with loadKube() (connect.ts).' },
      ],
    },
  },
  {
    files: ['src/vscode/**/*.ts', 'src/extension.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['@kubernetes/client-node'], message: 'Use src/core/cluster: it is the one adapter that owns @kubernetes/client-node.' }] }],
    },
  },
);
