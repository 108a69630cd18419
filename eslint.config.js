// Lint rules for every TypeScript package (zero warnings allowed: npm test runs eslint --max-warnings 0).
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["**/node_modules/**", "**/dist/**", "web/.dist-*/**", ".venv/**", ".tools/**", "data/**", "web/**/*.svelte", "web/src/lib/api/generated/**", "test-artifacts/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "no-console": "error",
      eqeqeq: ["error", "always"],
    },
  },
  {
    files: ["web/public/**/*.js", "web/src/**/*.ts"],
    languageOptions: { globals: { ...globals.browser } },
  },
);
