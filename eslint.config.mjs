// @ts-check
// `npm run lint`. TypeScript files get typescript-eslint's type-checked
// recommended rules, with types from the tsconfig.json that covers them (the
// project service finds it); JavaScript files get ESLint's recommended rules
// with Node's globals. No stylistic or formatting rules.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'coverage/', 'docs/', '**/node_modules/'] },
  js.configs.recommended,
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { sourceType: 'module', globals: globals.node },
  },
  {
    files: ['**/*.ts', '**/*.mts', '**/*.cts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
  },
  {
    // The nodenext type fixtures are outside tsconfig.json (spec/running.test.ts
    // type-checks them with their own tsc run), so no type-aware rules here.
    files: ['spec/fixtures/running/types.mts', 'spec/fixtures/running/types.cts'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    // Compile-time type tests (spec/types.test.ts type-checks them; they never
    // run): values and parameters are bound only so their types can be
    // asserted, and handlers are `async` on purpose, to check how the public
    // generics unwrap an async handler's result.
    files: ['spec/types/**'],
    rules: {
      '@typescript-eslint/no-unused-vars': 'off',
      '@typescript-eslint/require-await': 'off',
    },
  },
);
