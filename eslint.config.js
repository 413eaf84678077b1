// @ts-check
import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import globals from 'globals'

// The layers of ARCHITECTURE.md: arrows point down only. Each block forbids what a folder may not import.
const electronOnly = { name: 'electron', message: 'Only src/main and src/preload may import electron.' }
const nodeBuiltins = [{ group: ['node:*'], message: 'This layer runs without Node built-ins.' }]
const fromLayer = (/** @type {string[]} */ layers, /** @type {string} */ why) =>
  layers.map((layer) => ({ group: [`**/${layer}/**`, `**/${layer}`], message: why }))

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'coverage/**', '.bench/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [electronOnly],
          patterns: [
            ...nodeBuiltins,
            ...fromLayer(
              ['core', 'worker', 'main', 'preload', 'renderer', 'cli'],
              'shared is the bottom layer.',
            ),
          ],
        },
      ],
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [electronOnly],
          patterns: fromLayer(['worker', 'main', 'preload', 'renderer', 'cli'], 'core imports only shared.'),
        },
      ],
    },
  },
  {
    files: ['src/worker/**/*.ts', 'src/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [electronOnly],
          patterns: fromLayer(['main', 'preload', 'renderer'], 'worker and cli import only core and shared.'),
        },
      ],
    },
  },
  {
    files: ['src/main/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: fromLayer(
            ['preload', 'renderer', 'cli'],
            'main imports core, shared (and the worker entry by ?modulePath).',
          ),
        },
      ],
    },
  },
  {
    files: ['src/preload/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...nodeBuiltins,
            ...fromLayer(['core', 'worker', 'main', 'renderer', 'cli'], 'preload imports only shared.'),
          ],
        },
      ],
    },
  },
  {
    files: ['src/renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [electronOnly],
          patterns: [
            ...nodeBuiltins,
            ...fromLayer(
              ['core', 'worker', 'main', 'preload', 'cli'],
              'renderer talks only to the typed Api in shared.',
            ),
          ],
        },
      ],
    },
  },
)
