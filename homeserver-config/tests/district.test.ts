// generateDistrict and loadDistrictFile: every school's federation config, the central video service and regeneration.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse, parseDocument, stringify } from "yaml";
import { ConfigError } from "@schulhof/core";
import { generateDistrict, generateSchool, loadDistrictFile, REPO_ROOT, SchoolFileSchema } from "@schulhof/homeserver-config";
import { minimalSchool, tempDir } from "./support.ts";

type Obj = Record<string, unknown>;
const readYaml = (path: string): Obj => parse(readFileSync(path, "utf8")) as Obj;
const readJson = (path: string): Obj => JSON.parse(readFileSync(path, "utf8")) as Obj;

/** Three schools, listed out of alphabetical order so that sorting shows. */
const REAL: Obj = {
  id: "real",
  name: "Realschule Kreisstadt",
  state: "NW",
  server_name: "real.kreis.example",
  mail_domain: "real-kreisstadt.example",
  address: "127.0.0.3",
  federation_port: 8449,
  tls_cert_file: "real.crt",
  tls_key_file: "real.key",
  homeserver_url: "https://hs.real.kreis.example",
  school_api_url: "https://web.real.kreis.example",
};
const GYM: Obj = {
  id: "gym",
  name: "Gymnasium Kreisstadt",
  state: "NW",
  server_name: "gym.kreis.example",
  mail_domain: "gym-kreisstadt.example",
  address: "127.0.0.2",
  federation_host: "matrix.gym.kreis.example",
  tls_cert_file: "certs/gym.crt",
  tls_key_file: "certs/gym.key",
  share_directory: true,
};
const GES: Obj = {
  id: "ges",
  name: "Gesamtschule Kreisstadt",
  state: "NW",
  server_name: "ges.kreis.example",
  mail_domain: "ges-kreisstadt.example",
  address: "127.0.0.4",
  tls_cert_file: "/etc/schulhof/ges.crt",
  tls_key_file: "/etc/schulhof/ges.key",
};

/** A district file's content with `schools`; `federation` overrides the federation section's keys. */
function districtRaw(schools: Obj[], federation: Obj = {}): Obj {
  return {
    district: { id: "kreis-musterland", name: "Schulverbund Musterland" },
    federation: { ca_files: ["bezirk-ca.pem"], static_hosts: true, private_addresses: true, min_retry: "10s", max_retry: "2m", ...federation },
    video: { token_service_url: "https://video.kreis.example", livekit_url: "wss://livekit.kreis.example" },
    schools,
  };
}

/** A new folder with `bezirk/district.yaml` (the district file) and `out/` (where the configs go), apart on purpose. */
function district(raw: Obj): { conf: string; file: string; out: string } {
  const root = tempDir();
  const conf = join(root, "bezirk");
  mkdirSync(conf);
  const file = join(conf, "district.yaml");
  writeFileSync(file, stringify(raw));
  return { conf, file, out: join(root, "out") };
}

/** Expects `fn` to throw a ConfigError for `file` and `key` whose message matches `message`. */
function throwsConfigError(fn: () => unknown, file: string, key: string, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    assert.equal(e.file, file);
    assert.equal(e.key, key);
    assert.match(e.message, message);
    assert.ok(e.message.includes(file), e.message);
    return true;
  });
}

describe("generateDistrict", () => {
  const { conf, file, out } = district(districtRaw([REAL, GYM, GES]));
  const gen = generateDistrict(file, out);
  const hsOf = (id: string): Obj => readYaml(join(out, id, "synapse", "homeserver.yaml"));

  it("allows federation with exactly the district's other schools, sorted, never itself", () => {
    assert.deepEqual(hsOf("real").federation_domain_whitelist, ["ges.kreis.example", "gym.kreis.example"]);
    assert.deepEqual(hsOf("gym").federation_domain_whitelist, ["ges.kreis.example", "real.kreis.example"]);
    assert.deepEqual(hsOf("ges").federation_domain_whitelist, ["gym.kreis.example", "real.kreis.example"]);
    assert.deepEqual([...gen.schools.keys()], ["real", "gym", "ges"]);
    assert.deepEqual(gen.schools.get("gym")?.school.homeserver.federation_allowlist, ["ges.kreis.example", "real.kreis.example"]);
  });

  it("binds a TLS federation listener to the school's address, on the district's port or the school's own", () => {
    const tlsListeners = (id: string): Obj[] => (hsOf(id).listeners as Obj[]).filter((l) => l.tls === true);
    assert.deepEqual(
      tlsListeners("gym").map((l) => [l.bind_addresses, l.port]),
      [[["127.0.0.2"], 8448]],
    );
    assert.deepEqual(
      tlsListeners("real").map((l) => [l.bind_addresses, l.port]),
      [[["127.0.0.3"], 8449]],
    );
    assert.deepEqual(tlsListeners("gym")[0]?.resources, [{ names: ["federation"], compress: false }]);
    // The client listener stays on loopback without TLS.
    const plain = (hsOf("gym").listeners as Obj[]).filter((l) => l.tls !== true);
    assert.deepEqual(plain.map((l) => [l.bind_addresses, l.port]), [[["127.0.0.1"], 8008]]);
  });

  it("resolves certificate, key and CA against the district file's folder, not the output folder", () => {
    const gym = hsOf("gym");
    assert.equal(gym.tls_certificate_path, join(conf, "certs", "gym.crt"));
    assert.equal(gym.tls_private_key_path, join(conf, "certs", "gym.key"));
    assert.deepEqual(gym.federation_custom_ca_list, [join(conf, "bezirk-ca.pem")]);
    assert.equal(gym.federation_verify_certificates, true);
    const ges = hsOf("ges");
    assert.equal(ges.tls_certificate_path, "/etc/schulhof/ges.crt", "absolute paths stay");
    assert.equal(ges.tls_private_key_path, "/etc/schulhof/ges.key");
  });

  it("lets Synapse connect to exactly the other schools' private addresses, and retries them as configured", () => {
    assert.deepEqual(hsOf("gym").ip_range_whitelist, ["127.0.0.3", "127.0.0.4"]);
    assert.deepEqual(hsOf("real").ip_range_whitelist, ["127.0.0.2", "127.0.0.4"]);
    assert.deepEqual(hsOf("ges").ip_range_whitelist, ["127.0.0.2", "127.0.0.3"]);
    assert.deepEqual(hsOf("ges").federation, { destination_min_retry_interval: "10s", destination_max_retry_interval: "2m" });
  });

  it("maps every school's server name and federation host to its address in hosts.json", () => {
    const expected = {
      "real.kreis.example": "127.0.0.3",
      "gym.kreis.example": "127.0.0.2",
      "matrix.gym.kreis.example": "127.0.0.2",
      "ges.kreis.example": "127.0.0.4",
    };
    for (const id of ["real", "gym", "ges"]) assert.deepEqual(readJson(join(out, id, "synapse", "hosts.json")), expected, id);
  });

  it("delegates to the federation host or the server name, with the listener's port", () => {
    const server = (id: string): Obj => readJson(join(out, id, "well-known", "matrix", "server"));
    assert.deepEqual(server("gym"), { "m.server": "matrix.gym.kreis.example:8448" });
    assert.deepEqual(server("real"), { "m.server": "real.kreis.example:8449" });
    assert.deepEqual(server("ges"), { "m.server": "ges.kreis.example:8448" });
  });

  it("advertises the district's token service to clients and in homeserver.yaml", () => {
    for (const id of ["real", "gym", "ges"]) {
      const client = readJson(join(out, id, "well-known", "matrix", "client"));
      assert.deepEqual(client["org.matrix.msc4143.rtc_foci"], [{ type: "livekit", livekit_service_url: "https://video.kreis.example" }], id);
      assert.deepEqual(hsOf(id).matrix_rtc, { transports: [{ type: "livekit", livekit_service_url: "https://video.kreis.example" }] });
    }
  });

  it("lists exactly the district's schools in the video service, with their own video secrets", () => {
    assert.equal(gen.videoServiceFile, join(out, "video", "video-service.yaml"));
    const svc = readYaml(gen.videoServiceFile) as { schools: Record<string, Obj>; livekit: Obj; sessionSecret: string; bind: string; port: number };
    assert.deepEqual(Object.keys(svc.schools).sort(), ["ges.kreis.example", "gym.kreis.example", "real.kreis.example"]);
    // Defaults: the school's public_baseurl and its web address (a new school's file names https://<server name>); explicit values in the district file win.
    assert.equal(svc.schools["gym.kreis.example"]?.homeserverUrl, "https://gym.kreis.example");
    assert.equal(svc.schools["gym.kreis.example"]?.schoolApiUrl, "https://gym.kreis.example");
    assert.equal(svc.schools["real.kreis.example"]?.homeserverUrl, "https://hs.real.kreis.example");
    assert.equal(svc.schools["real.kreis.example"]?.schoolApiUrl, "https://web.real.kreis.example");
    const secrets = new Set<unknown>();
    for (const [id, name] of [["real", "real.kreis.example"], ["gym", "gym.kreis.example"], ["ges", "ges.kreis.example"]] as const) {
      const own = readJson(join(out, id, "secrets.json")).video_secret;
      assert.equal(svc.schools[name]?.secret, own, id);
      secrets.add(own);
    }
    assert.equal(secrets.size, 3, "each school has its own video secret");
    assert.equal(svc.livekit.url, "wss://livekit.kreis.example");
    assert.equal(svc.livekit.apiUrl, "http://127.0.0.1:7880");
    assert.deepEqual([svc.bind, svc.port], ["127.0.0.1", 8070]);
    assert.ok(svc.sessionSecret.length >= 32);
  });

  it("gives LiveKit the same key pair as the video service", () => {
    const svc = readYaml(gen.videoServiceFile) as { livekit: { apiKey: string; apiSecret: string } };
    const lk = readYaml(gen.livekitFile) as { keys: Record<string, string>; port: number; bind_addresses: string[] };
    assert.equal(gen.livekitFile, join(out, "video", "livekit.yaml"));
    assert.deepEqual(lk.keys, { [svc.livekit.apiKey]: svc.livekit.apiSecret });
    assert.equal(lk.port, 7880);
    assert.deepEqual(lk.bind_addresses, ["127.0.0.1"]);
    const stored = readJson(join(out, "video", "secrets.json"));
    assert.equal(stored.livekit_api_key, svc.livekit.apiKey);
    assert.equal(stored.livekit_api_secret, svc.livekit.apiSecret);
  });

  it("writes the district's name and the school's directory sharing into its school.yaml", () => {
    const gym = readYaml(join(out, "gym", "school.yaml")) as { district: Obj; school: Obj; homeserver: Obj };
    assert.deepEqual(gym.district, { name: "Schulverbund Musterland", share_directory: true });
    assert.deepEqual(readYaml(join(out, "real", "school.yaml")).district, { name: "Schulverbund Musterland", share_directory: false });
    assert.equal(gen.schools.get("gym")?.school.district.share_directory, true);
    // A new school's file starts from the district entry.
    assert.equal(gym.school.name, "Gymnasium Kreisstadt");
    assert.equal(gym.school.mail_domain, "gym-kreisstadt.example");
    assert.equal(gym.homeserver.server_name, "gym.kreis.example");
  });
});

describe("generateDistrict without static hosts or private addresses", () => {
  it("writes no hosts.json and no ip_range_whitelist, and removes a hosts.json from before", () => {
    const raw = districtRaw([GYM, GES]);
    const { file, out } = district(raw);
    generateDistrict(file, out);
    assert.ok(existsSync(join(out, "gym", "synapse", "hosts.json")));
    writeFileSync(file, stringify(districtRaw([GYM, GES], { static_hosts: false, private_addresses: false })));
    generateDistrict(file, out);
    for (const id of ["gym", "ges"]) {
      assert.equal(existsSync(join(out, id, "synapse", "hosts.json")), false, id);
      const hs = readYaml(join(out, id, "synapse", "homeserver.yaml"));
      assert.equal(hs.ip_range_whitelist, undefined);
      assert.equal((hs.listeners as Obj[]).filter((l) => l.tls === true).length, 1, "the TLS listener stays");
    }
  });

  it("writes next to the district file when no output folder is given", () => {
    const { conf, file } = district(districtRaw([GYM], { ca_files: [] }));
    const gen = generateDistrict(file);
    assert.equal(gen.schools.get("gym")?.dataDir, join(conf, "gym"));
    assert.ok(existsSync(join(conf, "video", "video-service.yaml")));
    const hs = readYaml(join(conf, "gym", "synapse", "homeserver.yaml"));
    assert.deepEqual(hs.federation_domain_whitelist, [], "a district of one federates with nobody");
    assert.equal(hs.federation_custom_ca_list, undefined);
  });
});

describe("regenerating a district", () => {
  it("keeps a school's own settings and comments, its secrets and the video keys, and adds a new school everywhere", () => {
    const { file, out } = district(districtRaw([GYM, REAL]));
    generateDistrict(file, out);
    const schoolFile = join(out, "gym", "school.yaml");
    const doc = parseDocument(readFileSync(schoolFile, "utf8"));
    doc.setIn(["school", "name"], "Gymnasium am Kreishaus");
    doc.setIn(["homeserver", "max_upload_size_mb"], 50);
    doc.setIn(["web", "public_url"], "https://web.gym.kreis.example/");
    doc.commentBefore = " Von der Schule gepflegt: Name und Uploadgrenze";
    writeFileSync(schoolFile, doc.toString().replace("max_upload_size_mb: 50", "max_upload_size_mb: 50 # Videos der Theater-AG"));
    const secretsBefore = { gym: readJson(join(out, "gym", "secrets.json")), real: readJson(join(out, "real", "secrets.json")) };
    const videoBefore = readJson(join(out, "video", "secrets.json"));

    writeFileSync(file, stringify(districtRaw([GYM, REAL, GES])));
    const gen = generateDistrict(file, out);

    const text = readFileSync(schoolFile, "utf8");
    assert.match(text, /# Von der Schule gepflegt: Name und Uploadgrenze/);
    assert.match(text, /max_upload_size_mb: 50 # Videos der Theater-AG/);
    const gym = parse(text) as { school: Obj; homeserver: Obj };
    assert.equal(gym.school.name, "Gymnasium am Kreishaus");
    assert.equal(gym.homeserver.max_upload_size_mb, 50);
    assert.equal(readYaml(join(out, "gym", "synapse", "homeserver.yaml")).max_upload_size, "50M");
    assert.equal((readJson(join(out, "gym", "well-known", "matrix", "client"))["de.schulhof.school"] as Obj).name, "Gymnasium am Kreishaus");

    assert.deepEqual(readYaml(join(out, "gym", "synapse", "homeserver.yaml")).federation_domain_whitelist, ["ges.kreis.example", "real.kreis.example"]);
    assert.deepEqual(readYaml(join(out, "real", "synapse", "homeserver.yaml")).federation_domain_whitelist, ["ges.kreis.example", "gym.kreis.example"]);
    assert.deepEqual(readYaml(join(out, "ges", "synapse", "homeserver.yaml")).federation_domain_whitelist, ["gym.kreis.example", "real.kreis.example"]);
    assert.deepEqual(readYaml(join(out, "gym", "synapse", "homeserver.yaml")).ip_range_whitelist, ["127.0.0.3", "127.0.0.4"]);
    assert.equal(readJson(join(out, "real", "synapse", "hosts.json"))["ges.kreis.example"], "127.0.0.4");

    assert.deepEqual(readJson(join(out, "gym", "secrets.json")), secretsBefore.gym);
    assert.deepEqual(readJson(join(out, "real", "secrets.json")), secretsBefore.real);
    assert.deepEqual(readJson(join(out, "video", "secrets.json")), videoBefore);
    const svc = readYaml(gen.videoServiceFile) as { schools: Record<string, Obj>; livekit: Obj };
    assert.equal(svc.livekit.apiKey, videoBefore.livekit_api_key);
    assert.equal(svc.livekit.apiSecret, videoBefore.livekit_api_secret);
    assert.deepEqual(Object.keys(svc.schools).sort(), ["ges.kreis.example", "gym.kreis.example", "real.kreis.example"]);
    assert.equal(svc.schools["gym.kreis.example"]?.secret, secretsBefore.gym.video_secret);
    // The school's own web address, now set in its school.yaml, is where the token service asks it.
    assert.equal(svc.schools["gym.kreis.example"]?.schoolApiUrl, "https://web.gym.kreis.example");
    assert.deepEqual(Object.keys(readYaml(gen.livekitFile).keys as Obj), [videoBefore.livekit_api_key]);
  });

  it("removes a school that left the district from the others' allowlists, addresses, hosts and the video service", () => {
    const { file, out } = district(districtRaw([GYM, REAL, GES]));
    generateDistrict(file, out);
    writeFileSync(file, stringify(districtRaw([GYM, GES])));
    const gen = generateDistrict(file, out);
    assert.deepEqual([...gen.schools.keys()], ["gym", "ges"]);
    const gym = readYaml(join(out, "gym", "synapse", "homeserver.yaml"));
    assert.deepEqual(gym.federation_domain_whitelist, ["ges.kreis.example"]);
    assert.deepEqual(gym.ip_range_whitelist, ["127.0.0.4"]);
    assert.deepEqual(readYaml(join(out, "ges", "synapse", "homeserver.yaml")).federation_domain_whitelist, ["gym.kreis.example"]);
    assert.equal(readJson(join(out, "ges", "synapse", "hosts.json"))["real.kreis.example"], undefined);
    const svc = readYaml(gen.videoServiceFile) as { schools: Obj };
    assert.deepEqual(Object.keys(svc.schools).sort(), ["ges.kreis.example", "gym.kreis.example"]);
  });
});

describe("district errors", () => {
  it("names the file and the key of a missing required value", () => {
    const { address: _address, ...gesWithoutAddress } = GES;
    const { file, out } = district(districtRaw([GYM, gesWithoutAddress]));
    throwsConfigError(() => loadDistrictFile(file), file, "schools.1.address", /schools\.1\.address/);
    throwsConfigError(() => generateDistrict(file, out), file, "schools.1.address", /schools\.1\.address/);
    assert.equal(existsSync(out), false, "nothing is written");
  });

  it("names both schools of a duplicate server name or address", () => {
    const sameName = district(districtRaw([GYM, REAL, { ...GES, server_name: "gym.kreis.example" }]));
    throwsConfigError(() => loadDistrictFile(sameName.file), sameName.file, "schools.2.server_name", /schools\.2\.server_name: "gym\.kreis\.example" is already used by schools\.0/);
    const sameAddress = district(districtRaw([GYM, REAL, { ...GES, address: "127.0.0.3" }]));
    throwsConfigError(() => loadDistrictFile(sameAddress.file), sameAddress.file, "schools.2.address", /schools\.2\.address: "127\.0\.0\.3" is already used by schools\.1/);
  });

  it("refuses to change a school's server name once its school.yaml exists", () => {
    const { file, out } = district(districtRaw([GYM, REAL]));
    generateDistrict(file, out);
    writeFileSync(file, stringify(districtRaw([{ ...GYM, server_name: "gymnasium.kreis.example" }, REAL])));
    const schoolFile = join(out, "gym", "school.yaml");
    throwsConfigError(() => generateDistrict(file, out), schoolFile, "homeserver.server_name", /is "gym\.kreis\.example".*"gymnasium\.kreis\.example".*cannot change/);
    assert.equal((readYaml(schoolFile).homeserver as Obj).server_name, "gym.kreis.example", "the school file is left as it was");
  });

  it("names federation.min_retry for a duration Synapse cannot read", () => {
    const { file } = district(districtRaw([GYM], { min_retry: "5 minutes" }));
    throwsConfigError(() => loadDistrictFile(file), file, "federation.min_retry", /duration/);
  });
});

describe("generateSchool without a district", () => {
  it("writes no TLS listener, no federation settings and no hosts.json", () => {
    const dir = tempDir();
    const gen = generateSchool(SchoolFileSchema.parse(minimalSchool()), dir);
    const hs = readYaml(gen.synapse.homeserverYaml);
    assert.deepEqual((hs.listeners as Obj[]).map((l) => l.tls), [false]);
    for (const key of ["tls_certificate_path", "tls_private_key_path", "federation_custom_ca_list", "ip_range_whitelist", "federation"]) assert.equal(hs[key], undefined, key);
    assert.deepEqual(hs.federation_domain_whitelist, []);
    assert.equal(existsSync(join(dir, "synapse", "hosts.json")), false);
  });
});

describe("schulhof district (CLI)", () => {
  it("generates the district, names each school's federation partners in German and exits with 0", () => {
    const { file, out } = district(districtRaw([GYM, REAL]));
    const run = spawnSync(join(REPO_ROOT, "node_modules", ".bin", "node"), [join(REPO_ROOT, "cli", "src", "main.ts"), "district", file, "--out", out], {
      encoding: "utf8",
      timeout: 60_000,
    });
    assert.equal(run.status, 0, run.stderr);
    const lines = run.stdout.trim().split("\n");
    assert.ok(lines.includes(`gym: gym.kreis.example → ${join(out, "gym")} (föderiert mit: real.kreis.example)`), run.stdout);
    assert.ok(lines.includes(`real: real.kreis.example → ${join(out, "real")} (föderiert mit: gym.kreis.example)`), run.stdout);
    assert.ok(lines.includes(`Videodienst: ${join(out, "video", "video-service.yaml")}, LiveKit: ${join(out, "video", "livekit.yaml")}`), run.stdout);
    for (const path of ["gym/synapse/homeserver.yaml", "real/synapse/hosts.json", "real/well-known/matrix/server", "video/livekit.yaml"]) assert.ok(existsSync(join(out, path)), path);
  });

  it("exits with 1 and names the file and key of an error", () => {
    const { file, out } = district(districtRaw([GYM, { ...REAL, address: "127.0.0.2" }]));
    const run = spawnSync(join(REPO_ROOT, "node_modules", ".bin", "node"), [join(REPO_ROOT, "cli", "src", "main.ts"), "district", file, "--out", out], {
      encoding: "utf8",
      timeout: 60_000,
    });
    assert.equal(run.status, 1, run.stdout);
    assert.match(run.stderr, /district\.yaml: schools\.1\.address: "127\.0\.0\.2" is already used by schools\.0/);
  });
});

describe("names a district cannot share", () => {
  it("refuses a federation host that is another school's server name, and the id video", () => {
    const dir = tempDir();
    const base = {
      district: { id: "k", name: "Kreis" },
      video: { token_service_url: "https://video.kreis.example", livekit_url: "wss://lk.kreis.example" },
    };
    const school = (id: string, address: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
      id,
      name: id,
      state: "NI",
      server_name: `${id}.kreis.example`,
      mail_domain: `${id}.kreis.example`,
      address,
      tls_cert_file: "c.pem",
      tls_key_file: "k.pem",
      ...extra,
    });
    const file = join(dir, "district.yaml");
    writeFileSync(file, stringify({ ...base, schools: [school("a", "10.0.0.1"), school("b", "10.0.0.2", { federation_host: "a.kreis.example" })] }));
    assert.throws(() => loadDistrictFile(file), /schools\.1\.federation_host: "a\.kreis\.example" is already used by schools\.0/);
    writeFileSync(file, stringify({ ...base, schools: [school("video", "10.0.0.1")] }));
    assert.throws(() => loadDistrictFile(file), /schools\.0\.id: "video" is the folder of the district's video service/);
  });
});
