// A district of real homeservers on separate loopback addresses: a test CA and certificates made now, the district file,
// each school's Synapse (federation over TLS) with its appservices, and the central video token service.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { createClient, type MatrixClient } from "matrix-js-sdk";
import { parse, stringify } from "yaml";
import pg from "pg";
import type { RunningAppservice } from "@schulhof/core";
import { createLogger } from "@schulhof/core";
import { ensureSystemAdmin, generateDistrict, generateSchool, runSynapse, SchoolFileSchema, type GeneratedSchool, type RunningSynapse } from "@schulhof/homeserver-config";
import { startHost } from "@schulhof/cli";
import { startVideoService, VideoServiceConfigSchema, type RunningVideoService } from "@schulhof/video";
import { databaseUrl } from "./pg.ts";
import { freePort } from "./ports.ts";

/** A school of the test district, or the outsider. */
export interface SchoolSpec {
  id: string;
  name: string;
  /** Its own loopback address (127.0.0.2, 127.0.0.3, …). */
  address: string;
  shareDirectory?: boolean;
}

export interface DistrictSchool {
  spec: SchoolSpec;
  serverName: string;
  /** The name its federation listener is reached by (delegated to in `.well-known/matrix/server`). */
  federationHost: string;
  dir: string;
  gen: GeneratedSchool;
  /** Client-server API (plain HTTP on 127.0.0.1). */
  url: string;
  adminToken: string;
  ports: { hs: number; school: number; homework: number; calendar: number };
  synapse: RunningSynapse | null;
  appservices: RunningAppservice[];
  /** The school's admin API token (roster import …). */
  adminApiToken: string;
}

export interface DistrictUser {
  userId: string;
  localpart: string;
  accessToken: string;
  school: DistrictSchool;
  client: MatrixClient;
}

export interface TestDistrict {
  dir: string;
  districtFile: string;
  caFile: string;
  schools: Map<string, DistrictSchool>;
  video: RunningVideoService;
  videoUrl: string;
  school(id: string): DistrictSchool;
  /** Starts (or restarts) a school's Synapse; its appservices keep running. */
  startSynapse(id: string): Promise<void>;
  stopSynapse(id: string): Promise<void>;
  /** Rewrites the district file with these schools, regenerates everything and restarts the listed Synapses and the token service. */
  setDistrict(ids: string[], restart: string[]): Promise<void>;
  user(schoolId: string, prefix: string): Promise<DistrictUser>;
  stop(): Promise<void>;
}

const run = (cmd: string, args: string[], cwd: string): void => void execFileSync(cmd, args, { cwd, stdio: ["ignore", "ignore", "pipe"] });

/** A CA and, per name list, a key and certificate it signed (EC P-256, valid two days). */
export function makeTestCa(dir: string, certs: Record<string, string[]>): { caFile: string; files: Record<string, { cert: string; key: string }> } {
  mkdirSync(dir, { recursive: true });
  run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Schulhof Testbezirk CA"], dir);
  const files: Record<string, { cert: string; key: string }> = {};
  for (const [id, names] of Object.entries(certs)) {
    writeFileSync(join(dir, `${id}.ext`), `subjectAltName=${names.map((n) => `DNS:${n}`).join(",")}\nextendedKeyUsage=serverAuth\n`);
    run("openssl", ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${id}.key`, "-out", `${id}.csr`, "-subj", `/CN=${names[0] ?? id}`], dir);
    run("openssl", ["x509", "-req", "-in", `${id}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", `${id}.pem`, "-days", "2", "-extfile", `${id}.ext`], dir);
    files[id] = { cert: join(dir, `${id}.pem`), key: join(dir, `${id}.key`) };
  }
  return { caFile: join(dir, "ca.pem"), files };
}

const serverNameOf = (id: string): string => `${id}.bezirk.test`;
const federationHostOf = (id: string): string => `matrix.${id}.bezirk.test`;

/**
 * Starts a district in `dir`: `all` are every school the test may use (each gets a certificate from the test CA, a
 * database and ports); `district` are those in the district file at first. Schools outside it are started with a
 * school file of their own that wants to federate with the district (an outsider).
 */
export async function startDistrict(opts: {
  dir: string;
  pgUrl: string;
  all: SchoolSpec[];
  district: string[];
  livekit: { url: string; httpUrl: string; apiKey: string; apiSecret: string };
  /** Synapse's retry interval for a school that is down (tests: seconds, production: minutes). */
  retry?: { min: string; max: string };
  /** Synapse on PostgreSQL, as in production (benchmarks); default SQLite (tests). */
  synapsePostgres?: boolean;
}): Promise<TestDistrict> {
  const { dir } = opts;
  // Nine appservices in this process: their info lines would drown the test output.
  process.env.SCHULHOF_LOG_LEVEL ??= "warn";
  mkdirSync(dir, { recursive: true });
  const ca = makeTestCa(
    join(dir, "ca"),
    Object.fromEntries(opts.all.flatMap((s) => [[`${s.id}-federation`, [federationHostOf(s.id)]], [`${s.id}-web`, [serverNameOf(s.id)]]])),
  );
  const admin = new pg.Client({ connectionString: opts.pgUrl });
  await admin.connect();
  const videoPort = await freePort();
  const schools = new Map<string, DistrictSchool>();
  const wellKnownServers: HttpsServer[] = [];
  for (const spec of opts.all) {
    const db = `district_${spec.id.replace(/-/g, "_")}_${randomBytes(3).toString("hex")}`;
    await admin.query(`CREATE DATABASE ${db}`);
    let synapseDb: Record<string, unknown> = { kind: "sqlite" };
    if (opts.synapsePostgres === true) {
      // Synapse wants C collation.
      await admin.query(`CREATE DATABASE ${db}_synapse ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`);
      const u = new URL(opts.pgUrl);
      synapseDb = { kind: "postgres", host: u.hostname, port: Number(u.port), user: decodeURIComponent(u.username), database: `${db}_synapse` };
    }
    const ports = { hs: await freePort(), school: await freePort(), homework: await freePort(), calendar: await freePort() };
    const schoolDir = join(dir, spec.id);
    mkdirSync(schoolDir, { recursive: true });
    // The school's own settings (what the district does not decide): written once, kept by every regeneration.
    const own = {
      school: { id: spec.id, name: spec.name, state: "NI", mail_domain: serverNameOf(spec.id) },
      homeserver: { server_name: serverNameOf(spec.id), public_baseurl: `http://127.0.0.1:${ports.hs}`, port: ports.hs, database: synapseDb, user_directory: "school" },
      appservices: { school: { port: ports.school }, homework: { port: ports.homework }, calendar: { port: ports.calendar }, mail: { port: ports.calendar + 1, enabled: false } },
      database: { kind: "postgres", url: databaseUrl(opts.pgUrl, db) },
      video: { livekit_url: opts.livekit.url, token_service_url: `http://127.0.0.1:${videoPort}` },
    };
    const fed = ca.files[`${spec.id}-federation`];
    if (fed === undefined) throw new Error("certificate missing");
    if (!opts.district.includes(spec.id)) {
      // An outsider: wants the district (allowlists it, resolves it, has a certificate of the same CA), is not in it.
      const inDistrict = opts.all.filter((s) => opts.district.includes(s.id));
      Object.assign(own.homeserver, {
        federation_allowlist: inDistrict.map((s) => serverNameOf(s.id)),
        federation: {
          bind: spec.address,
          host: federationHostOf(spec.id),
          tls_cert_file: fed.cert,
          tls_key_file: fed.key,
          ca_files: [ca.caFile],
          allow_ips: inDistrict.map((s) => s.address),
          hosts: Object.fromEntries([...opts.all.flatMap((s) => [[serverNameOf(s.id), s.address], [federationHostOf(s.id), s.address]])]),
          min_retry: "1s",
          max_retry: "3s",
        },
      });
    }
    writeFileSync(join(schoolDir, "school.yaml"), stringify(own));
    const gen = generateSchool(SchoolFileSchema.parse(own), schoolDir);
    // The school's web address serves `.well-known/matrix/server` over TLS on port 443 (the delegation).
    const web = ca.files[`${spec.id}-web`];
    if (web === undefined) throw new Error("certificate missing");
    const wk = createHttpsServer({ cert: readFileSync(web.cert), key: readFileSync(web.key) }, (req, res) => {
      if (req.url === "/.well-known/matrix/server") {
        res.writeHead(200, { "content-type": "application/json" }).end(readFileSync(join(schoolDir, "well-known", "matrix", "server")));
      } else res.writeHead(404).end();
    });
    await new Promise<void>((r, j) => wk.once("error", j).listen(443, spec.address, () => r()));
    wellKnownServers.push(wk);
    schools.set(spec.id, {
      spec,
      serverName: serverNameOf(spec.id),
      federationHost: federationHostOf(spec.id),
      dir: schoolDir,
      gen,
      url: `http://127.0.0.1:${ports.hs}`,
      adminToken: "",
      ports,
      synapse: null,
      appservices: [],
      adminApiToken: gen.secrets.admin_api_token,
    });
  }
  await admin.end();

  const districtFile = join(dir, "district.yaml");
  const writeDistrictFile = (ids: string[]): void => {
    const doc = {
      district: { id: "testbezirk", name: "Schulbezirk Testhausen" },
      federation: { ca_files: [ca.caFile], static_hosts: true, private_addresses: true, min_retry: opts.retry?.min ?? "1s", max_retry: opts.retry?.max ?? "3s" },
      video: { token_service_url: `http://127.0.0.1:${videoPort}`, livekit_url: opts.livekit.url, service: { port: videoPort, livekit_api_url: opts.livekit.httpUrl } },
      schools: ids.map((id) => {
        const s = schools.get(id);
        const certs = ca.files[`${id}-federation`];
        if (s === undefined || certs === undefined) throw new Error(`unknown school ${id}`);
        return {
          id,
          name: s.spec.name,
          state: "NI",
          server_name: s.serverName,
          mail_domain: s.serverName,
          address: s.spec.address,
          federation_host: s.federationHost,
          tls_cert_file: certs.cert,
          tls_key_file: certs.key,
          school_api_url: `http://127.0.0.1:${s.ports.school}`,
          share_directory: s.spec.shareDirectory ?? false,
        };
      }),
    };
    writeFileSync(districtFile, stringify(doc));
  };
  /** Generates from the district file; the token service's config gets the test LiveKit's keys. */
  const regenerate = (): ReturnType<typeof VideoServiceConfigSchema.parse> => {
    const out = generateDistrict(districtFile, dir);
    for (const [id, gen] of out.schools) {
      const s = schools.get(id);
      if (s !== undefined) s.gen = gen;
    }
    const cfg = parse(readFileSync(out.videoServiceFile, "utf8")) as Record<string, unknown>;
    return VideoServiceConfigSchema.parse({ ...cfg, livekit: { url: opts.livekit.url, apiUrl: opts.livekit.httpUrl, apiKey: opts.livekit.apiKey, apiSecret: opts.livekit.apiSecret } });
  };
  writeDistrictFile(opts.district);
  let videoConfig = regenerate();
  const log = createLogger("district-video");
  let video = await startVideoService(videoConfig, log);

  const startSynapse = async (id: string): Promise<void> => {
    const s = schools.get(id);
    if (s === undefined) throw new Error(`unknown school ${id}`);
    await s.synapse?.stop();
    s.synapse = await runSynapse(s.gen);
    s.adminToken = await ensureSystemAdmin(s.gen, s.synapse.url);
  };
  await Promise.all(opts.all.map((s) => startSynapse(s.id)));
  for (const s of schools.values()) s.appservices = await startHost(s.gen);

  const district: TestDistrict = {
    dir,
    districtFile,
    caFile: ca.caFile,
    schools,
    get video() {
      return video;
    },
    videoUrl: `http://127.0.0.1:${videoPort}`,
    school(id) {
      const s = schools.get(id);
      if (s === undefined) throw new Error(`unknown school ${id}`);
      return s;
    },
    startSynapse,
    async stopSynapse(id) {
      const s = district.school(id);
      await s.synapse?.stop();
      s.synapse = null;
    },
    async setDistrict(ids, restart) {
      writeDistrictFile(ids);
      videoConfig = regenerate();
      await video.stop();
      video = await startVideoService(videoConfig, log);
      await Promise.all(restart.map((id) => startSynapse(id)));
    },
    async user(schoolId, prefix) {
      const s = district.school(schoolId);
      const localpart = `${prefix}-${randomBytes(4).toString("hex")}`;
      const userId = `@${localpart}:${s.serverName}`;
      const headers = { authorization: `Bearer ${s.adminToken}`, "content-type": "application/json" };
      const put = await fetch(`${s.url}/_synapse/admin/v2/users/${encodeURIComponent(userId)}`, { method: "PUT", headers, body: JSON.stringify({ displayname: prefix }) });
      if (!put.ok) throw new Error(`create ${userId}: ${put.status} ${await put.text()}`);
      await fetch(`${s.url}/_synapse/admin/v1/users/${encodeURIComponent(userId)}/override_ratelimit`, { method: "POST", headers, body: JSON.stringify({ messages_per_second: 0, burst_count: 0 }) });
      const login = await fetch(`${s.url}/_synapse/admin/v1/users/${encodeURIComponent(userId)}/login`, { method: "POST", headers, body: "{}" });
      const { access_token: accessToken } = (await login.json()) as { access_token: string };
      return { userId, localpart, accessToken, school: s, client: createClient({ baseUrl: s.url, accessToken, userId, useAuthorizationHeader: true }) };
    },
    async stop() {
      await video.stop().catch(() => undefined);
      for (const s of schools.values()) for (const a of s.appservices) await a.stop().catch(() => undefined);
      await Promise.all([...schools.values()].map((s) => s.synapse?.stop()));
      for (const wk of wellKnownServers) {
        wk.closeAllConnections();
        await new Promise<void>((r) => wk.close(() => r()));
      }
    },
  };
  return district;
}

/** Canonical JSON (sorted keys, no spaces), as Matrix signs it. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v !== null && typeof v === "object")
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(v);
}

/**
 * A federation request signed with `from`'s real signing key, sent straight to `to`'s federation listener over TLS
 * (as a server outside the district would try: backfill, state, make_join …). Answers status and body.
 */
export async function signedFederationRequest(
  from: DistrictSchool,
  to: DistrictSchool,
  caFile: string,
  method: string,
  path: string,
  content?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const { createPrivateKey, sign } = await import("node:crypto");
  const { request } = await import("node:https");
  const [alg, version, seed] = readFileSync(join(from.gen.synapse.dir, "signing.key"), "utf8").trim().split(/\s+/);
  if (alg !== "ed25519" || version === undefined || seed === undefined) throw new Error("unexpected signing key format");
  const der = Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), Buffer.from(seed, "base64")]);
  const key = createPrivateKey({ key: der, format: "der", type: "pkcs8" });
  const signed = { method, uri: path, origin: from.serverName, destination: to.serverName, ...(content === undefined ? {} : { content }) };
  const sig = sign(null, Buffer.from(canonicalJson(signed)), key).toString("base64").replace(/=+$/, "");
  const fed = to.gen.school.homeserver.federation;
  if (fed === undefined) throw new Error(`${to.serverName} has no federation listener`);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: fed.bind,
        port: fed.port,
        servername: to.federationHost,
        ca: readFileSync(caFile),
        method,
        path,
        headers: {
          authorization: `X-Matrix origin="${from.serverName}",destination="${to.serverName}",key="ed25519:${version}",sig="${sig}"`,
          "content-type": "application/json",
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let body: Record<string, unknown>;
          try {
            body = JSON.parse(text) as Record<string, unknown>;
          } catch {
            body = { raw: text };
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    req.on("error", reject);
    req.end(content === undefined ? undefined : JSON.stringify(content));
  });
}
