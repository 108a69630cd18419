// Benchmark: a school of 1,000 students, 80 teachers, 40 classes and 300 courses imported into a fresh Synapse.
import type { ImportReport, Progress } from "@schulhof/school";
import { startBenchStack } from "./stack.ts";
import { cpuSeconds, peakRssMiB, printTable } from "./proc.ts";
import { profileRows, profilingWanted, startProfile } from "./profile.ts";
import { BENCH_SCHOOL, generateRoster } from "./school-generator.ts";

const size = { ...BENCH_SCHOOL, students: Number(process.env.BENCH_STUDENTS ?? BENCH_SCHOOL.students) };
const say = (s: string): void => void process.stderr.write(s + "\n");

const overrides = {
  ...(process.env.BENCH_USER_DIRECTORY === undefined ? {} : { user_directory: process.env.BENCH_USER_DIRECTORY }),
  ...(process.env.BENCH_BCRYPT_ROUNDS === undefined ? {} : { bcrypt_rounds: Number(process.env.BENCH_BCRYPT_ROUNDS) }),
};
say("bench: starting PostgreSQL, Synapse and the appservice host …");
const stack = await startBenchStack("provision", overrides);
const { gen, synapse, host } = stack;
const school = gen.school;
const schoolPort = stack.ports.school;
let exitCode = 0;
try {
  const roster = generateRoster(size);
  say(`bench: importing ${size.students} students, ${size.teachers} teachers, ${size.classes} classes, ${size.courses} courses …`);
  const synapseCpu0 = cpuSeconds(synapse.process.pid) ?? 0;
  const hostCpu0 = cpuSeconds(host.pid) ?? 0;
  const profile = profilingWanted() ? startProfile(synapse.process.pid ?? 0, "provision-synapse") : null;
  const t0 = performance.now();
  const phaseTimes = new Map<string, { first: number; last: number; total: number }>();
  const res = await fetch(`http://127.0.0.1:${schoolPort}/_schulhof/school/v1/admin/roster/import?file_name=bench.csv`, {
    method: "POST",
    headers: { authorization: `Bearer ${gen.secrets.admin_api_token}` },
    body: roster.csv,
  });
  let report: ImportReport | null = null;
  let buf = "";
  const dec = new TextDecoder();
  for await (const chunk of res.body ?? []) {
    buf += dec.decode(chunk as Uint8Array, { stream: true });
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const msg = JSON.parse(buf.slice(0, nl)) as { progress?: Progress; report?: ImportReport; error?: unknown };
      buf = buf.slice(nl + 1);
      const now = (performance.now() - t0) / 1000;
      if (msg.progress !== undefined) {
        const p = phaseTimes.get(msg.progress.phase) ?? { first: now, last: now, total: msg.progress.total };
        p.last = now;
        p.total = msg.progress.total;
        phaseTimes.set(msg.progress.phase, p);
      }
      if (msg.report !== undefined) report = msg.report;
      if (msg.error !== undefined) throw new Error(`import failed: ${JSON.stringify(msg.error)}`);
    }
  }
  const total = (performance.now() - t0) / 1000;
  const top = await profile?.finish();
  if (report === null) throw new Error("no report");
  const hostPeak = peakRssMiB(host.pid);
  const synapsePeak = peakRssMiB(synapse.process.pid);
  const synapseCpu = (cpuSeconds(synapse.process.pid) ?? 0) - synapseCpu0;
  const hostCpu = (cpuSeconds(host.pid) ?? 0) - hostCpu0;
  const users = report.letters.length;
  const rooms = report.apply?.roomsCreated ?? 0;
  const joins = report.apply?.joins ?? 0;
  const span = (phase: string): number => {
    const p = phaseTimes.get(phase);
    return p === undefined ? 0 : p.last - p.first;
  };
  const figures = {
    students: size.students,
    teachers: size.teachers,
    classes: size.classes,
    courses: size.courses,
    users_created: users,
    rooms_created: rooms,
    memberships: joins,
    failures: report.failures.length,
    users_per_s: round(users / span("users")),
    rooms_per_s: round(rooms / span("rooms")),
    memberships_per_s: round(joins / span("memberships")),
    seconds_accounts: round(span("users")),
    seconds_rooms: round(span("rooms")),
    seconds_memberships: round(span("memberships")),
    seconds_total: round(total),
    host_peak_rss_mib: hostPeak,
    synapse_peak_rss_mib: synapsePeak,
    host_cpu_s: round(hostCpu),
    synapse_cpu_s: round(synapseCpu),
    bcrypt_rounds: school.homeserver.bcrypt_rounds,
    ...(top === undefined ? {} : { synapse_profile: { seconds: top.seconds, samples: top.samples, gil_pct: top.gilPct, top: top.lines.slice(0, 15) } }),
  };
  printTable("Provisioning benchmark (school appservice → Synapse on PostgreSQL, this machine)", [
    ["school", `${size.students} students, ${size.teachers} teachers, ${size.classes} classes, ${size.courses} courses`],
    ["accounts created", `${users} in ${figures.seconds_accounts} s (${figures.users_per_s}/s, bcrypt rounds ${figures.bcrypt_rounds})`],
    ["rooms and spaces created", `${rooms} in ${figures.seconds_rooms} s (${figures.rooms_per_s}/s)`],
    ["memberships (invite + join)", `${joins} in ${figures.seconds_memberships} s (${figures.memberships_per_s}/s)`],
    ["failures", String(figures.failures)],
    ["total", `${figures.seconds_total} s`],
    ["CPU seconds", `Synapse ${figures.synapse_cpu_s} s, appservice host ${figures.host_cpu_s} s`],
    ["peak memory", `appservice host ${hostPeak} MiB, Synapse ${synapsePeak} MiB`],
  ]);
  if (top !== undefined) printTable(`Synapse profile during the import (py-spy, ${profile?.file})`, profileRows(top));
  process.stdout.write(JSON.stringify(figures) + "\n");
  if (report.failures.length > 0) {
    for (const f of report.failures.slice(0, 10)) say(`failure: ${f.what}: ${f.reason}`);
  }
} catch (e) {
  say(`bench: ${(e as Error).stack ?? String(e)}`);
  exitCode = 1;
} finally {
  await stack.stop();
}
process.exit(exitCode);

function round(n: number): number {
  return Number.isFinite(n) ? Math.round(n * 10) / 10 : 0;
}
