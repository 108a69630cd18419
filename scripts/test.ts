// `npm test`: type-check, lint, then unit and integration tests against the real stack (started once by the global setup).
import { spawnSync } from "node:child_process";
import { existsSync, globSync } from "node:fs";

const bin = (name: string): string => `node_modules/.bin/${name}`;

// Files that start homeservers of their own (three Synapses in the district test, seven processes in the workers test) run alone,
// after the others: on a 2-core machine next to another file they starve its browser and LiveKit timeouts.
const ALONE = ["test/src/district.test.ts", "test/src/synapse-workers.test.ts"];
const DEFAULT_FILES = ["appservices/*/tests/**/*.test.ts", "bridges/*/tests/**/*.test.ts", "livekit/*/tests/**/*.test.ts", "homeserver-config/tests/**/*.test.ts", "cli/tests/**/*.test.ts", "web/tests/**/*.test.ts", "test/src/**/*.test.ts"];
const chosen = process.argv.length > 2 ? process.argv.slice(2) : DEFAULT_FILES;
const files = [...new Set(chosen.flatMap((pattern) => (/[*?[]/.test(pattern) ? globSync(pattern) : [pattern])))].sort();
const together = files.filter((f) => !ALONE.includes(f));
const alone = files.filter((f) => ALONE.includes(f));

const nodeTest = (concurrency: number, list: string[]): string[] => [
  "--test",
  "--test-global-setup=test/src/global-setup.ts",
  `--test-concurrency=${concurrency}`,
  "--test-timeout=600000",
  ...(process.env.SCHULHOF_TEST_FILTER === undefined ? [] : [`--test-name-pattern=${process.env.SCHULHOF_TEST_FILTER}`]),
  ...list,
];

const steps: { name: string; cmd: string; args: string[]; when?: () => boolean }[] = [
  { name: "type-check (tsc)", cmd: bin("tsc"), args: ["-p", "tsconfig.json"] },
  { name: "lint (eslint, zero warnings)", cmd: bin("eslint"), args: ["--max-warnings", "0", "."] },
  {
    name: "svelte-check (web)",
    cmd: "npm",
    args: ["run", "check", "-w", "@schulhof/web"],
    when: () => existsSync("web/src/main.ts"),
  },
  { name: "unit and integration tests (node --test)", cmd: process.execPath, args: nodeTest(2, together), when: () => together.length > 0 },
  { name: `tests that run alone (${alone.join(", ")})`, cmd: process.execPath, args: nodeTest(1, alone), when: () => alone.length > 0 },
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
