// Lints the app's own JavaScript (quizapp/static/js) against the oldest browsers the
// entrants use: Android WebView / Chrome 80 (low-end phones, Zalo's in-app browser).
// Run by tests/browser/test_js_lint.py; installed with `npm ci` (make browser-deps).
import compat from "eslint-plugin-compat";
import globals from "globals";

export default [
  {
    files: ["**/*.js"],
    plugins: { compat },
    languageOptions: {
      ecmaVersion: 2020, // Chrome 80 parses ES2020 (optional chaining, ??); nothing newer
      sourceType: "script",
      globals: { ...globals.browser },
    },
    settings: { browsers: ["chrome >= 80", "and_chr >= 80", "android >= 80"], polyfills: [] },
    rules: {
      "compat/compat": "error",
      "no-undef": "error",
      "no-unused-vars": ["error", { args: "none", caughtErrors: "none" }],
      "no-redeclare": "error",
      "no-dupe-keys": "error",
      "no-unreachable": "error",
    },
  },
];
