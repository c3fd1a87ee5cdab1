// ESLint flat config: typescript-eslint's type-checked rules (projectService reads tsconfig.json).
// `npm run lint` lints the project (src/, tests/, bench/ and the config files);
// `npm run lint -- src/domain tests/unit` lints only those paths.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'fixtures/', 'web/dist/', 'tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // Files outside tsconfig.json's include (vitest.config.ts) get a default project.
        projectService: { allowDefaultProject: ['*.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      // One import statement per module; a separate `import type` beside a value import is allowed
      // (verbatimModuleSyntax makes type-only imports explicit, and that is the house style).
      'no-duplicate-imports': ['error', { allowSeparateTypeImports: true }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // Off: Fastify plugins and hooks are async by contract (returning a promise is how they
      // signal completion instead of calling `done`), so most of them rightly have no `await`.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Plain JavaScript (worker bootstraps, this file): no type information to check against.
    files: ['**/*.mjs', '**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { URL: 'readonly', console: 'readonly', process: 'readonly' } },
  },
  {
    // Tests read answers with light-my-request's `res.json()`, which is `any` by design; typing every
    // answer to satisfy the no-unsafe-* family would be noise (the assertions are the type check).
    // Explicit `any` stays forbidden in tests too.
    files: ['tests/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
);
