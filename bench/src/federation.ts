// `npm run bench:federation`: how long a message sent at school A takes to reach a client of school B, over real
// federation (two Synapses on their own loopback addresses, TLS from a CA made now), at rest and under load.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDistrict, startPostgres, type DistrictUser, type TestDistrict, type TestPostgres } from "@schulhof/test";
import { cpuSeconds, peakRssMiB, printTable } from "./proc.ts";
import { matrixCall, percentile } from "./stack.ts";

const PROBES = Number(process.env.BENCH_PROBES ?? 120);
/** Load messages in flight at most; beyond it the generator drops (and counts) instead of piling up without end. */
const MAX_IN_FLIGHT = 100;
const PHASE_MS = Number(process.env.BENCH_PHASE_SECONDS ?? 40) * 1000;
const PROBE_INTERVAL_MS = Number(process.env.BENCH_PROBE_INTERVAL_MS ?? 250);
const LOAD_ROOMS = Number(process.env.BENCH_LOAD_ROOMS ?? 20);
const LOADS = (process.env.BENCH_FEDERATION_LOADS ?? "5,20,50").split(",").map(Number);
const say = (s: string): void => void process.stderr.write(`bench: ${s}\n`);
const enc = encodeURIComponent;

const call = (u: DistrictUser, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => matrixCall(u.school.url, u.accessToken, method, path, body);

async function joinWhenInvited(u: DistrictUser, roomId: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const res = await fetch(`${u.school.url}/_matrix/client/v3/join/${enc(roomId)}`, { method: "POST", headers: { authorization: `Bearer ${u.accessToken}`, "content-type": "application/json" }, body: "{}" });
    if (res.ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${u.userId} could not join ${roomId}`);
}

/** A client of school B that long-polls /sync and reports when a message with a probe id arrives. */
function receiver(u: DistrictUser, onProbe: (id: string) => void): { stop(): void; done: Promise<void> } {
  let stopped = false;
  const ctrl = new AbortController();
  const done = (async () => {
    const first = (await call(u, "GET", "/_matrix/client/v3/sync?timeout=0")) as { next_batch: string };
    let since = first.next_batch;
    while (!stopped) {
      try {
        const res = await fetch(`${u.school.url}/_matrix/client/v3/sync?timeout=30000&since=${enc(since)}`, { headers: { authorization: `Bearer ${u.accessToken}` }, signal: ctrl.signal });
        const body = (await res.json()) as { next_batch: string; rooms?: { join?: Record<string, { timeline?: { events?: { content?: { probe?: string } }[] } }> } };
        since = body.next_batch;
        for (const r of Object.values(body.rooms?.join ?? {})) for (const e of r.timeline?.events ?? []) if (typeof e.content?.probe === "string") onProbe(e.content.probe);
      } catch {
        if (stopped) return;
      }
    }
  })();
  return {
    stop() {
      stopped = true;
      ctrl.abort();
    },
    done,
  };
}

interface PhaseResult {
  phase: string;
  load_per_s: number;
  probes: number;
  lost: number;
  latency_ms: { p50: number; p95: number; p99: number; max: number };
  load_sent: number;
  load_errors: number;
  /** Not sent: already MAX_IN_FLIGHT waiting for Synapse. */
  load_dropped: number;
  send_ms: { p50: number; p95: number };
  cpu_percent: { synapse_a: number; synapse_b: number; other: number };
}

let pg: TestPostgres | null = null;
let district: TestDistrict | null = null;
const dir = mkdtempSync(join(tmpdir(), "schulhof-bench-federation-"));
let exit = 0;
try {
  pg = await startPostgres();
  say("starting two schools on 127.0.0.12 and 127.0.0.13 (TLS, a CA made now) …");
  district = await startDistrict({
    dir,
    pgUrl: pg.url,
    // The token service is not measured here; it never reaches this LiveKit address.
    livekit: { url: "ws://127.0.0.1:7880", httpUrl: "http://127.0.0.1:7880", apiKey: "unused", apiSecret: "unused-unused-unused-unused-unused" },
    all: [
      { id: "bench-a", name: "Gymnasium A", address: "127.0.0.12" },
      { id: "bench-b", name: "Oberschule B", address: "127.0.0.13" },
    ],
    district: ["bench-a", "bench-b"],
    retry: { min: "30s", max: "5m" },
    synapsePostgres: true,
  });
  const d = district;
  const sender = await d.user("bench-a", "sender");
  const probeReader = await d.user("bench-b", "empfaenger");
  say("making the probe room and the load rooms …");
  const probeRoom = ((await call(sender, "POST", "/_matrix/client/v3/createRoom", { name: "Messraum", invite: [probeReader.userId] })) as { room_id: string }).room_id;
  await joinWhenInvited(probeReader, probeRoom);
  // Load: teachers of A talk in LOAD_ROOMS shared rooms, each with two students of B syncing.
  const loadSenders: DistrictUser[] = [];
  const loadRooms: string[] = [];
  const loadReaders: DistrictUser[] = [];
  for (let i = 0; i < LOAD_ROOMS; i++) {
    const t = await d.user("bench-a", `lehrkraft${i}`);
    const r1 = await d.user("bench-b", `schueler${i}a`);
    const r2 = await d.user("bench-b", `schueler${i}b`);
    const room = ((await call(t, "POST", "/_matrix/client/v3/createRoom", { name: `Kurs ${i}`, invite: [r1.userId, r2.userId] })) as { room_id: string }).room_id;
    await joinWhenInvited(r1, room);
    await joinWhenInvited(r2, room);
    loadSenders.push(t);
    loadRooms.push(room);
    loadReaders.push(r1, r2);
  }
  const arrivals = new Map<string, number>();
  const readers = [receiver(probeReader, (id) => void (arrivals.has(id) ? undefined : arrivals.set(id, performance.now()))), ...loadReaders.map((u) => receiver(u, () => undefined))];
  await new Promise((r) => setTimeout(r, 2000));
  const pidA = d.school("bench-a").synapse?.process.pid;
  const pidB = d.school("bench-b").synapse?.process.pid;

  const runPhase = async (phase: string, loadPerS: number): Promise<PhaseResult> => {
    say(`${phase}: ${PROBES} probes every ${PROBE_INTERVAL_MS} ms, load ${loadPerS} messages/s …`);
    const cpu0 = { a: cpuSeconds(pidA) ?? 0, b: cpuSeconds(pidB) ?? 0, self: process.cpuUsage() };
    const t0 = performance.now();
    let stopLoad = false;
    let loadSent = 0;
    let loadErrors = 0;
    let loadDropped = 0;
    const sendTimes: number[] = [];
    const load = (async () => {
      if (loadPerS === 0) return;
      const inflight = new Set<Promise<void>>();
      const start = performance.now();
      for (let n = 0; !stopLoad; n++) {
        const due = start + (n * 1000) / loadPerS;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const i = n % LOAD_ROOMS;
        const u = loadSenders[i];
        const room = loadRooms[i];
        if (u === undefined || room === undefined) continue;
        if (inflight.size >= MAX_IN_FLIGHT) {
          loadDropped++;
          continue;
        }
        const p = (async () => {
          const s0 = performance.now();
          try {
            await call(u, "PUT", `/_matrix/client/v3/rooms/${enc(room)}/send/m.room.message/l${phase.length}-${n}-${Date.now()}`, { msgtype: "m.text", body: `Last ${n}` });
            sendTimes.push(performance.now() - s0);
            loadSent++;
          } catch {
            loadErrors++;
          }
        })();
        inflight.add(p);
        void p.finally(() => inflight.delete(p));
      }
      await Promise.all(inflight);
    })();
    const sent = new Map<string, number>();
    // At most PROBES probes and at most PHASE_MS: an overloaded server makes each probe's send slow.
    for (let i = 0; i < PROBES && performance.now() - t0 < PHASE_MS; i++) {
      const id = `${phase}-${i}`;
      const s0 = performance.now();
      sent.set(id, s0);
      await call(sender, "PUT", `/_matrix/client/v3/rooms/${enc(probeRoom)}/send/m.room.message/${enc(id)}`, { msgtype: "m.text", body: `Messung ${i}`, probe: id });
      const wait = s0 + PROBE_INTERVAL_MS - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    const deadline = performance.now() + 30_000;
    while ([...sent.keys()].some((id) => !arrivals.has(id)) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    stopLoad = true;
    await load;
    const seconds = (performance.now() - t0) / 1000;
    const self = process.cpuUsage(cpu0.self);
    const lat = [...sent.entries()].filter(([id]) => arrivals.has(id)).map(([id, s]) => (arrivals.get(id) ?? s) - s).sort((x, y) => x - y);
    sendTimes.sort((x, y) => x - y);
    const pct = (a: number, b: number): number => Math.round(((a - b) / seconds) * 100);
    const r1 = (n: number): number => Math.round(n * 10) / 10;
    return {
      phase,
      load_per_s: loadPerS,
      probes: sent.size,
      lost: sent.size - lat.length,
      latency_ms: { p50: r1(percentile(lat, 50)), p95: r1(percentile(lat, 95)), p99: r1(percentile(lat, 99)), max: r1(lat.at(-1) ?? 0) },
      load_sent: loadSent,
      load_errors: loadErrors,
      load_dropped: loadDropped,
      send_ms: { p50: r1(percentile(sendTimes, 50)), p95: r1(percentile(sendTimes, 95)) },
      cpu_percent: { synapse_a: pct(cpuSeconds(pidA) ?? 0, cpu0.a), synapse_b: pct(cpuSeconds(pidB) ?? 0, cpu0.b), other: Math.round(((self.user + self.system) / 1e6 / seconds) * 100) },
    };
  };

  const results: PhaseResult[] = [await runPhase("at rest", 0)];
  for (const l of LOADS) results.push(await runPhase(`load ${l}/s`, l));
  for (const r of readers) r.stop();

  const rows: [string, string][] = [
    ["schools", "2 Synapse (one process each, PostgreSQL), each with its appservices in this process; federation over TLS on 127.0.0.12/13:8448, delegated by .well-known"],
    ["measured", `a message sent by a client of A (PUT …/send) until a long-polling client of B has it in /sync; up to ${PROBES} probes, one every ${PROBE_INTERVAL_MS} ms (the next after the previous send returned), at most ${PHASE_MS / 1000} s per phase`],
    ["load", `teachers of A send into ${LOAD_ROOMS} shared rooms at the given rate, ${LOAD_ROOMS * 2} students of B long-poll /sync`],
  ];
  for (const r of results)
    rows.push([
      `${r.phase}`,
      `A→client of B p50 ${r.latency_ms.p50} / p95 ${r.latency_ms.p95} / p99 ${r.latency_ms.p99} / max ${r.latency_ms.max} ms, lost ${r.lost}; load sent ${r.load_sent} (errors ${r.load_errors}, not sent as ${MAX_IN_FLIGHT} were waiting ${r.load_dropped}), send p50 ${r.send_ms.p50} / p95 ${r.send_ms.p95} ms; CPU % synapse A ${r.cpu_percent.synapse_a}, B ${r.cpu_percent.synapse_b}, bench + appservices ${r.cpu_percent.other}`,
    ]);
  rows.push(["memory (peak RSS)", `synapse A ${peakRssMiB(pidA) ?? "?"} MiB, synapse B ${peakRssMiB(pidB) ?? "?"} MiB`]);
  rows.push(["CPU figures", "% of one core (2 cores = 200 %)"]);
  printTable("Federation benchmark: school A → a client of school B", rows);
  process.stdout.write(`${JSON.stringify({ probes: PROBES, probe_interval_ms: PROBE_INTERVAL_MS, load_rooms: LOAD_ROOMS, phases: results, peak_rss_mib: { synapse_a: peakRssMiB(pidA), synapse_b: peakRssMiB(pidB) } })}\n`);
} catch (e) {
  process.stderr.write(`bench:federation failed: ${(e as Error).stack ?? String(e)}\n`);
  exit = 1;
} finally {
  await district?.stop().catch(() => undefined);
  pg?.stop();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(exit);
