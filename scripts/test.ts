// `npm test`: type-check, lint, then unit and integration tests against the real stack (started once by the global setup).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const bin = (name: string): string => `node_modules/.bin/${name}`;
const steps: { name: string; cmd: string; args: string[]; when?: () => boolean }[] = [
  { name: "type-check (tsc)", cmd: bin("tsc"), args: ["-p", "tsconfig.json"] },
  { name: "lint (eslint, zero warnings)", cmd: bin("eslint"), args: ["--max-warnings", "0", "."] },
  {
    name: "svelte-check (web)",
    cmd: "npm",
    args: ["run", "check", "-w", "@schulhof/web"],
    when: () => existsSync("web/src/main.ts"),
  },
  {
    name: "unit and integration tests (node --test)",
    cmd: process.execPath,
    args: [
      "--test",
      "--test-global-setup=test/src/global-setup.ts",
      "--test-concurrency=2",
      "--test-timeout=600000",
      ...(process.env.SCHULHOF_TEST_FILTER === undefined ? [] : [`--test-name-pattern=${process.env.SCHULHOF_TEST_FILTER}`]),
      ...(process.argv.length > 2
        ? process.argv.slice(2)
        : ["appservices/*/tests/**/*.test.ts", "bridges/*/tests/**/*.test.ts", "livekit/*/tests/**/*.test.ts", "homeserver-config/tests/**/*.test.ts", "cli/tests/**/*.test.ts", "web/tests/**/*.test.ts", "test/src/**/*.test.ts"]),
    ],
  },
];

for (const step of steps) {
  if (step.when !== undefined && !step.when()) continue;
  const t0 = performance.now();
  process.stderr.write(`\n== ${step.name}\n`);
  const r = spawnSync(step.cmd, step.args, { stdio: "inherit", env: process.env });
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  if (r.status !== 0) {
    process.stderr.write(`== ${step.name}: failed after ${secs} s\n`);
    process.exit(r.status ?? 1);
  }
  process.stderr.write(`== ${step.name}: ok in ${secs} s\n`);
}
