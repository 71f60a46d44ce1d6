// Lint. Everything gets the recommended rules; the product (what the preload runs inside the
// host app) also gets the type-aware rules about promises and throws, since a promise nobody
// handles there surfaces in the host app as an unhandled rejection. The no-unsafe-* family stays
// off: instrumentations handle SDK objects typed as `unknown`/`any` by design and check them at
// run time instead.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const product = ['src/**/*.ts', 'src/**/*.mts', 'instrumentations/**/*.ts', 'register.ts'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // The preload loads what it patches lazily, so a require() at the point of use is deliberate.
      '@typescript-eslint/no-require-imports': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    files: product,
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      // What the app threw or rejected with is passed on unchanged, whatever it is.
      '@typescript-eslint/only-throw-error': ['error', { allowThrowingAny: true, allowThrowingUnknown: true }],
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingAny: true, allowThrowingUnknown: true }],
      // A wrapper installed as a method has its own `this`; the instrumentation or session is named.
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['self', 'session', 'emitter'] }],
      '@typescript-eslint/no-unnecessary-type-assertion': 'error',
      '@typescript-eslint/no-base-to-string': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true, allowNullish: true }],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
    // The apps import the package's own ErrorEvent, which shadows the runtime's.
    rules: { 'no-redeclare': ['error', { builtinGlobals: false }] },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { sourceType: 'module', globals: { ...globals.node } },
  },
);
