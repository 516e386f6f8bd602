// Syntax-level rules only: type-aware linting would load the provider typings a second time
// (tsc --noEmit already type-checks everything as its own step of `npm test`).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: ["node_modules/", "cdktf.out/", ".gen/", "coverage/", ".stryker-tmp/", "reports/", "**/*.js", "**/*.mjs"],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // The app's TypeScript loader is plain CommonJS run by Node before any TypeScript.
    files: ["**/*.cjs"],
    languageOptions: {
      sourceType: "commonjs",
      globals: { require: "readonly", module: "writable", __dirname: "readonly", process: "readonly" },
    },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-restricted-imports": [
        "error",
        {
          paths: [
            {
              name: "@cdktf/provider-azurerm",
              message: "Import from @cdktf/provider-azurerm/lib/<resource>: the root loads thousands of classes.",
            },
            {
              name: "@cdktf/provider-aws",
              message: "Import from @cdktf/provider-aws/lib/<resource>: the root loads thousands of classes.",
            },
            { name: "@cdktf/provider-random", message: "Import from @cdktf/provider-random/lib/<resource>." },
            { name: "@cdktf/provider-tls", message: "Import from @cdktf/provider-tls/lib/<resource>." },
          ],
        },
      ],
    },
  },
);
