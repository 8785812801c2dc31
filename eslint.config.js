// ESLint (npm run lint): the React hooks rules on the inspector, and a few correctness rules on all
// TypeScript. Layering, cycles and unused exports are checked by scripts/lint (imports) and knip.
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', 'test-results/**', 'e2e/.cache/**', 'tmp/**', 'traces/**', '.reports/**'] },
  {
    files: ['**/*.{ts,tsx}'],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    rules: {
      // tsc (noUnusedLocals) already reports unused locals; parameters named _x are deliberate.
      '@typescript-eslint/no-unused-vars': ['error', { args: 'after-used', argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // `as never` / `any` appear in tests that feed deliberately wrong values; tsc's strict mode covers the rest.
      '@typescript-eslint/no-explicit-any': 'off',
      // Our msgpack and scanner loops test `(x = next()) !== null` on purpose.
      'no-cond-assign': ['error', 'except-parens'],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['apps/inspector/src/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: { ...reactHooks.configs.flat.recommended.rules, 'react-hooks/exhaustive-deps': 'error' },
  },
);
