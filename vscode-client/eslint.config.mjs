// Flat ESLint config: the recommended JS and TypeScript rules, nothing exotic.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
    { ignores: ['dist/', 'out/', 'node_modules/'] },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
        languageOptions: { globals: { process: 'readonly', console: 'readonly', require: 'readonly' } },
        rules: {
            '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
            eqeqeq: 'error',
        },
    },
    {
        // The e2e driver runs under Node but passes callbacks into the browser page.
        files: ['e2e/**'],
        languageOptions: { globals: { document: 'readonly' } },
    },
);
