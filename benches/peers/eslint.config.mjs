// ESLint flat config for benches/compare.sh: eslint-plugin-security's
// recommended rules on JavaScript files (ESLint alone cannot parse
// TypeScript). compare.sh copies this next to the installed node_modules
// in target/bench-tools/node so the plugin import resolves.
import security from "eslint-plugin-security";

export default [
  {
    ...security.configs.recommended,
    files: ["**/*.js", "**/*.cjs", "**/*.mjs"],
    languageOptions: { ecmaVersion: "latest" },
    linterOptions: { reportUnusedDisableDirectives: "off" },
  },
];
