// A district: one file names its schools and the central video service; every school's config and the token service's follow from it.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { isMap, parseDocument, stringify } from "yaml";
import { z } from "zod";
import { ConfigError, loadYamlConfig, parseConfig } from "@schulhof/core";
import { generateSchool, type GeneratedSchool } from "./generate.ts";
import { BUNDESLAENDER, SchoolFileSchema, type SchoolFile } from "./schema.ts";
import { webPublicUrl } from "./wellknown.ts";

const Name = z.string().regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/, "must be a DNS name such as schule.example.de");
const Duration = z.string().regex(/^\d+(ms|s|m|h)$/, "a duration such as 30s or 5m");

const DistrictSchool = z.object({
  id: z.string().regex(/^[a-z0-9-]+$/, "lowercase letters, digits and - only"),
  /** Used when the school's file is made; afterwards the school's own `school.yaml` decides. */
  name: z.string().min(1),
  state: z.enum(BUNDESLAENDER),
  server_name: Name,
  mail_domain: Name,
  /** Where the district's other schools reach this homeserver (its federation listener binds here). */
  address: z.string().min(1),
  /** The name in the delegation (`.well-known/matrix/server`); default: the server name. */
  federation_host: Name.optional(),
  federation_port: z.number().int().min(1).max(65535).optional(),
  /** The school's federation certificate and key (PEM), relative to the district file or absolute. */
  tls_cert_file: z.string(),
  tls_key_file: z.string(),
  /** Where the token service checks this school's OpenID tokens; default: the school's `public_baseurl`. */
  homeserver_url: z.url().optional(),
  /** Where the token service asks this school who is in a room; default: the school's web address (which forwards it). */
  school_api_url: z.url().optional(),
  /** Whether the school lists its teachers in the other schools' user directory. */
  share_directory: z.boolean().default(false),
});

export const DistrictFileSchema = z.object({
  district: z.object({ id: z.string().regex(/^[a-z0-9-]+$/), name: z.string().min(1) }),
  federation: z
    .object({
      port: z.number().int().min(1).max(65535).default(8448),
      /** CA certificates the schools trust for federation (a district CA), relative to the district file or absolute. */
      ca_files: z.array(z.string()).default([]),
      /** No DNS for the district's names (labs, tests): each school resolves the others from the addresses below. */
      static_hosts: z.boolean().default(false),
      /** The addresses are private (a district network, loopback in tests): let Synapse connect to exactly these. */
      private_addresses: z.boolean().default(false),
      min_retry: Duration.default("30s"),
      max_retry: Duration.default("5m"),
    })
    .default({ port: 8448, ca_files: [], static_hosts: false, private_addresses: false, min_retry: "30s", max_retry: "5m" }),
  video: z.object({
    /** What clients are told (MSC4143 focus) and what the schools' homeservers advertise. */
    token_service_url: z.url(),
    livekit_url: z.string().regex(/^wss?:\/\//, "ws:// or wss://"),
    /** The token service itself. */
    service: z
      .object({
        bind: z.string().default("127.0.0.1"),
        port: z.number().int().min(0).max(65535).default(8070),
        livekit_api_url: z.url().default("http://127.0.0.1:7880"),
      })
      .default({ bind: "127.0.0.1", port: 8070, livekit_api_url: "http://127.0.0.1:7880" }),
  }),
  schools: z.array(DistrictSchool).min(1),
});
export type DistrictFile = z.infer<typeof DistrictFileSchema>;
type DistrictSchoolEntry = DistrictFile["schools"][number];

/** What a district generation produced. */
export interface GeneratedDistrict {
  district: DistrictFile;
  schools: Map<string, GeneratedSchool>;
  /** The token service's config (`video/video-service.yaml`) and LiveKit's (`video/livekit.yaml`). */
  videoServiceFile: string;
  livekitFile: string;
}

/** Reads a district file; errors name the key and the file, also for duplicates between schools. */
export function loadDistrictFile(file: string): DistrictFile {
  const district = loadYamlConfig(file, DistrictFileSchema);
  const seen = new Map<string, number>();
  district.schools.forEach((s, i) => {
    if (s.id === "video") throw new ConfigError(file, `schools.${i}.id`, `"video" is the folder of the district's video service; choose another id`);
    // Names a school is reached by must be unique across the district (a server name or a delegation target).
    const names: [string, string][] = [["server_name", s.server_name], ...(s.federation_host === undefined ? [] : [["federation_host", s.federation_host] as [string, string]])];
    for (const [key, value] of names) {
      const k = `name=${value}`;
      const before = seen.get(k);
      if (before !== undefined) throw new ConfigError(file, `schools.${i}.${key}`, `"${value}" is already used by schools.${before}`);
      seen.set(k, i);
    }
    for (const [key, value] of [["id", s.id], ["mail_domain", s.mail_domain], ["address", s.address]] as const) {
      const k = `${key}=${value}`;
      const before = seen.get(k);
      if (before !== undefined) throw new ConfigError(file, `schools.${i}.${key}`, `"${value}" is already used by schools.${before}`);
      seen.set(k, i);
    }
  });
  return district;
}

/**
 * Writes every school's configuration into `<outDir>/<school id>/` and the central video service's into
 * `<outDir>/video/`. A school's `school.yaml` keeps everything the district does not decide (its name,
 * ports, databases, mail, comments); the district decides its server name, federation (allowlist of exactly
 * the district's other schools, TLS, CA, addresses), video focus and directory sharing.
 */
export function generateDistrict(districtFile: string, outDirIn?: string): GeneratedDistrict {
  const file = resolve(districtFile);
  const district = loadDistrictFile(file);
  const base = dirname(file);
  const outDir = resolve(outDirIn ?? base);
  const at = (p: string): string => (isAbsolute(p) ? p : join(base, p));
  const schools = new Map<string, GeneratedSchool>();
  for (const entry of district.schools) {
    const dir = join(outDir, entry.id);
    mkdirSync(dir, { recursive: true });
    const schoolFile = join(dir, "school.yaml");
    const school = writeSchoolFile(schoolFile, district, entry, at);
    schools.set(entry.id, generateSchool(school, dir));
  }
  const videoDir = join(outDir, "video");
  mkdirSync(videoDir, { recursive: true });
  const secretsFile = join(videoDir, "secrets.json");
  const secrets = loadOrCreateVideoSecrets(secretsFile);
  const svc = district.video.service;
  const videoService = {
    bind: svc.bind,
    port: svc.port,
    livekit: { url: district.video.livekit_url, apiUrl: svc.livekit_api_url, apiKey: secrets.livekit_api_key, apiSecret: secrets.livekit_api_secret },
    // Exactly the district's homeservers: users of any other server get no token.
    schools: Object.fromEntries(
      district.schools.map((entry) => {
        const gen = schools.get(entry.id);
        if (gen === undefined) throw new Error(`school ${entry.id} not generated`);
        return [
          entry.server_name,
          { homeserverUrl: entry.homeserver_url ?? gen.school.homeserver.public_baseurl, schoolApiUrl: entry.school_api_url ?? webPublicUrl(gen.school), secret: gen.secrets.video_secret },
        ];
      }),
    ),
    sessionSecret: secrets.session_secret,
  };
  const videoServiceFile = join(videoDir, "video-service.yaml");
  writeFileSync(videoServiceFile, header(file, "video token service config") + stringify(videoService), { mode: 0o600 });
  const livekitFile = join(videoDir, "livekit.yaml");
  const lk = new URL(svc.livekit_api_url);
  writeFileSync(
    livekitFile,
    header(file, "LiveKit server config") + stringify({ port: Number(lk.port || 7880), bind_addresses: [lk.hostname], keys: { [secrets.livekit_api_key]: secrets.livekit_api_secret }, room: { empty_timeout: 300 } }),
    { mode: 0o600 },
  );
  return { district, schools, videoServiceFile, livekitFile };
}

/** Merges the district's part into the school's file (made from the entry when missing) and validates the result. */
function writeSchoolFile(schoolFile: string, district: DistrictFile, entry: DistrictSchoolEntry, at: (p: string) => string): SchoolFile {
  const doc = existsSync(schoolFile) ? parseDocument(readFileSync(schoolFile, "utf8")) : parseDocument(stringify(starterSchool(entry)));
  if (doc.errors.length > 0) throw new ConfigError(schoolFile, "", doc.errors[0]?.message.split("\n")[0] ?? "bad YAML");
  if (!isMap(doc.contents)) throw new ConfigError(schoolFile, "", "must be a mapping");
  const current = doc.getIn(["homeserver", "server_name"]);
  if (current !== undefined && current !== entry.server_name)
    throw new ConfigError(schoolFile, "homeserver.server_name", `is "${String(current)}" but the district names ${entry.id} "${entry.server_name}"; a server name cannot change`);
  const others = district.schools.filter((s) => s.id !== entry.id);
  const fed = district.federation;
  const hosts: Record<string, string> = {};
  if (fed.static_hosts) {
    for (const s of district.schools) {
      hosts[s.server_name] = s.address;
      if (s.federation_host !== undefined) hosts[s.federation_host] = s.address;
    }
  }
  const set = (path: string[], value: unknown): void => void doc.setIn(path, doc.createNode(value));
  set(["homeserver", "server_name"], entry.server_name);
  set(["school", "mail_domain"], entry.mail_domain);
  set(["homeserver", "federation_allowlist"], others.map((s) => s.server_name).sort());
  set(["homeserver", "federation"], {
    bind: entry.address,
    port: entry.federation_port ?? fed.port,
    ...(entry.federation_host === undefined ? {} : { host: entry.federation_host }),
    tls_cert_file: at(entry.tls_cert_file),
    tls_key_file: at(entry.tls_key_file),
    ca_files: fed.ca_files.map(at),
    allow_ips: fed.private_addresses ? others.map((s) => s.address).sort() : [],
    hosts,
    min_retry: fed.min_retry,
    max_retry: fed.max_retry,
  });
  set(["video", "token_service_url"], district.video.token_service_url);
  set(["video", "livekit_url"], district.video.livekit_url);
  set(["district"], { name: district.district.name, share_directory: entry.share_directory });
  const school = parseConfig(schoolFile, doc.toJSON(), SchoolFileSchema);
  writeFileSync(schoolFile, doc.toString());
  return school;
}

/** A new school's file: the entry's facts and the defaults; the admin completes it (ports, databases, mail). */
function starterSchool(entry: DistrictSchoolEntry): Record<string, unknown> {
  return {
    school: { id: entry.id, name: entry.name, state: entry.state, mail_domain: entry.mail_domain },
    homeserver: { server_name: entry.server_name, public_baseurl: `https://${entry.server_name}` },
    database: { kind: "pglite", path: "db" },
    web: { public_url: `https://${entry.server_name}` },
  };
}

const VideoSecretsSchema = z.object({ livekit_api_key: z.string().min(8), livekit_api_secret: z.string().min(32), session_secret: z.string().min(32) });

function loadOrCreateVideoSecrets(file: string): z.infer<typeof VideoSecretsSchema> {
  if (existsSync(file)) return parseConfig(file, JSON.parse(readFileSync(file, "utf8")) as unknown, VideoSecretsSchema);
  const secrets = {
    livekit_api_key: `API${randomBytes(6).toString("hex")}`,
    livekit_api_secret: randomBytes(32).toString("base64url"),
    session_secret: randomBytes(32).toString("base64url"),
  };
  writeFileSync(file, JSON.stringify(secrets, null, 2) + "\n", { mode: 0o600 });
  return secrets;
}

function header(file: string, what: string): string {
  return `# ${what}, generated by schulhof from ${file}. Do not edit: change the district file and regenerate.\n`;
}
