// generateSchool and generateFromFile: Synapse config, registrations, secrets and well-known files of one school.
import assert from "node:assert/strict";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse, stringify } from "yaml";
import { ConfigError } from "@schulhof/core";
import { generateFromFile, generateSchool, SchoolFileSchema, type AppserviceSpec } from "@schulhof/homeserver-config";
import { minimalSchool, tempDir } from "./support.ts";

type Obj = Record<string, unknown>;
const readYaml = (path: string): Obj => parse(readFileSync(path, "utf8")) as Obj;
const readJson = (path: string): Obj => JSON.parse(readFileSync(path, "utf8")) as Obj;
const modeOf = (path: string): number => statSync(path).mode & 0o777;

/** Does Synapse's namespace regex match `id`? Synapse uses Python's re.match: anchored at the start only. */
const synapseMatches = (regex: string, id: string): boolean => new RegExp(`^(?:${regex})`).test(id);

describe("generateSchool", () => {
  const dir = tempDir();
  const school = SchoolFileSchema.parse(minimalSchool());
  const gen = generateSchool(school, dir);
  const hs = readYaml(join(dir, "synapse", "homeserver.yaml"));

  it("writes homeserver.yaml for the school's server name, listening on loopback only", () => {
    assert.equal(gen.synapse.homeserverYaml, join(dir, "synapse", "homeserver.yaml"));
    assert.equal(hs.server_name, "schule.example.de");
    assert.equal(hs.public_baseurl, "https://schule.example.de");
    const listeners = hs.listeners as Obj[];
    assert.equal(listeners.length, 1);
    assert.deepEqual(listeners[0]?.bind_addresses, ["127.0.0.1"]);
    assert.equal(listeners[0]?.port, 8008);
    assert.equal(listeners[0]?.tls, false);
  });

  it("closes the server: no federation in the demo, no registration, no key servers", () => {
    assert.deepEqual(hs.federation_domain_whitelist, []);
    assert.equal(hs.enable_registration, false);
    assert.deepEqual(hs.trusted_key_servers, []);
    assert.equal(hs.allow_public_rooms_over_federation, false);
    assert.equal(hs.url_preview_enabled, false);
    assert.deepEqual(hs.presence, { enabled: false });
    assert.equal(hs.max_upload_size, "100M");
    assert.equal(hs.bcrypt_rounds, 12);
  });

  it("keeps SQLite, media and keys inside the data folder", () => {
    assert.deepEqual(hs.database, { name: "sqlite3", args: { database: join(dir, "synapse", "homeserver.db") } });
    assert.equal(hs.media_store_path, join(dir, "synapse", "media_store"));
    assert.equal(hs.signing_key_path, join(dir, "synapse", "signing.key"));
    assert.equal(hs.log_config, join(dir, "synapse", "log.config"));
    assert.equal(readYaml(join(dir, "synapse", "log.config")).version, 1);
  });

  it("puts the generated secrets into homeserver.yaml and makes it readable by its owner only", () => {
    const secrets = readJson(join(dir, "secrets.json"));
    assert.equal(hs.registration_shared_secret, secrets.registration_shared_secret);
    assert.equal(hs.macaroon_secret_key, secrets.macaroon_secret_key);
    assert.equal(hs.form_secret, secrets.form_secret);
    assert.ok(String(hs.registration_shared_secret).length >= 32);
    assert.equal(modeOf(join(dir, "synapse", "homeserver.yaml")), 0o600);
  });

  it("makes a DKIM key once and writes the mail DNS records to publish", () => {
    const secrets = readJson(join(dir, "secrets.json")) as { mail_dkim_private_key: string; mail_verp_secret: string };
    assert.match(secrets.mail_dkim_private_key, /BEGIN PRIVATE KEY/);
    assert.ok(secrets.mail_verp_secret.length >= 32);
    const records = readFileSync(join(dir, "mail", "dns-records.txt"), "utf8");
    assert.match(records, /MX 10 mx\./);
    assert.match(records, /schulhof\._domainkey\.\S+ TXT "v=DKIM1; k=rsa; p=[A-Za-z0-9+/=]{300,}"/);
    assert.match(records, /_dmarc\./);
  });

  it("writes one registration per appservice, listed in homeserver.yaml", () => {
    const path = join(dir, "synapse", "appservices", "school.yaml");
    const homework = join(dir, "synapse", "appservices", "homework.yaml");
    const calendar = join(dir, "synapse", "appservices", "calendar.yaml");
    const mail = join(dir, "synapse", "appservices", "mail.yaml");
    assert.deepEqual(hs.app_service_config_files, [path, homework, calendar, mail]);
    assert.deepEqual(gen.synapse.registrations, [path, homework, calendar, mail]);
    assert.deepEqual(gen.appservices.map((s) => s.id), ["school", "homework", "calendar", "mail"]);
    // The mail bridge owns its bot and the puppets of outside senders.
    const m = readYaml(mail) as { sender_localpart: string; namespaces: { users: { regex: string; exclusive: boolean }[] } };
    assert.equal(m.sender_localpart, "mail");
    assert.ok(m.namespaces.users.some((u) => u.regex.startsWith("@_mail_") && u.exclusive));
    assert.equal(readYaml(homework).sender_localpart, "hausaufgaben");
    // One registration, two bots: the calendar bot and the exam-planning bot, both exclusive.
    const cal = readYaml(calendar) as { sender_localpart: string; namespaces: { users: { regex: string; exclusive: boolean }[] } };
    assert.equal(cal.sender_localpart, "kalender");
    assert.deepEqual(cal.namespaces.users.map((u) => [u.regex.includes("klausuren") || u.regex.includes("kalender"), u.exclusive]), [[true, true], [true, true]]);
    assert.equal(modeOf(path), 0o600);
    const reg = readYaml(path);
    const tokens = (readJson(join(dir, "secrets.json")).appservices as Record<string, { as_token: string; hs_token: string }>).school;
    assert.equal(reg.id, "school");
    assert.equal(reg.url, "http://127.0.0.1:9100");
    assert.equal(reg.sender_localpart, "schule");
    assert.equal(reg.as_token, tokens?.as_token);
    assert.equal(reg.hs_token, tokens?.hs_token);
    assert.notEqual(reg.as_token, reg.hs_token);
  });

  it("turns rate limits off and ephemeral events on in the registration", () => {
    const reg = readYaml(join(dir, "synapse", "appservices", "school.yaml"));
    assert.equal(reg.rate_limited, false);
    assert.equal(reg["de.sorunome.msc2409.push_ephemeral"], true);
    assert.equal(reg.receive_ephemeral, true);
  });

  it("gives the bot an exclusive user namespace on this server only", () => {
    const reg = readYaml(join(dir, "synapse", "appservices", "school.yaml"));
    const users = (reg.namespaces as { users: { regex: string; exclusive: boolean }[] }).users;
    const exclusive = users.filter((u) => u.exclusive);
    assert.equal(exclusive.length, 1);
    const regex = exclusive[0]?.regex ?? "";
    assert.equal(synapseMatches(regex, "@schule:schule.example.de"), true);
    assert.equal(synapseMatches(regex, "@schule:other.example"), false);
    assert.equal(synapseMatches(regex, "@schule:schuleXexample.de"), false, "dots are escaped");
    assert.equal(synapseMatches(regex, "@schulex:schule.example.de"), false);
    assert.equal(synapseMatches(regex, "@alice:schule.example.de"), false);

    const shared = users.filter((u) => !u.exclusive).map((u) => u.regex);
    assert.equal(shared.length, 1);
    assert.equal(synapseMatches(shared[0] ?? "", "@max.mustermann:schule.example.de"), true);
    assert.equal(synapseMatches(shared[0] ?? "", "@_puppet:schule.example.de"), false);
    assert.equal(synapseMatches(shared[0] ?? "", "@max:other.example"), false);
    const aliases = (reg.namespaces as { aliases: { regex: string; exclusive: boolean }[] }).aliases;
    assert.deepEqual(aliases, [{ regex: "#schule-.*:schule\\.example\\.de$", exclusive: true }]);
  });

  it("creates the secrets file with mode 0600", () => {
    assert.equal(gen.secretsFile, join(dir, "secrets.json"));
    assert.equal(modeOf(gen.secretsFile), 0o600);
    assert.deepEqual(readJson(gen.secretsFile), gen.secrets);
  });

  it("writes the well-known documents", () => {
    const client = readJson(join(dir, "well-known", "matrix", "client"));
    assert.deepEqual(client["m.homeserver"], { base_url: "https://schule.example.de" });
    assert.deepEqual(client["org.matrix.msc4143.rtc_foci"], [{ type: "livekit", livekit_service_url: "http://127.0.0.1:8070" }]);
    assert.deepEqual(readJson(join(dir, "well-known", "matrix", "server")), { "m.server": "schule.example.de:443" });
  });

  it("keeps every token on a second run, and adds tokens for a new appservice", () => {
    const before = readJson(gen.secretsFile);
    const regBefore = readFileSync(join(dir, "synapse", "appservices", "school.yaml"), "utf8");
    const extra: AppserviceSpec = {
      id: "fixture",
      botLocalpart: "_fixture",
      url: "http://127.0.0.1:9999",
      exclusiveUsers: ["_fixture.*"],
      sharedUsers: [],
      exclusiveAliases: [],
    };
    const again = generateSchool(school, dir, [extra]);
    const after = readJson(gen.secretsFile);
    assert.equal(after.registration_shared_secret, before.registration_shared_secret);
    assert.equal(after.macaroon_secret_key, before.macaroon_secret_key);
    assert.equal(after.admin_api_token, before.admin_api_token);
    const afterServices = after.appservices as Obj;
    assert.deepEqual(afterServices.school, (before.appservices as Obj).school);
    assert.ok(afterServices.fixture !== undefined);
    assert.equal(readFileSync(join(dir, "synapse", "appservices", "school.yaml"), "utf8"), regBefore);
    assert.equal(modeOf(gen.secretsFile), 0o600);
    assert.deepEqual(again.synapse.registrations, ["school", "homework", "calendar", "mail", "fixture"].map((id) => join(dir, "synapse", "appservices", `${id}.yaml`)));
    assert.equal(readYaml(join(dir, "synapse", "appservices", "fixture.yaml")).sender_localpart, "_fixture");
  });
});

describe("generateSchool with a district and PostgreSQL", () => {
  it("federates with the allowlist only and uses psycopg2 with the configured arguments", () => {
    const dir = tempDir();
    const raw = minimalSchool();
    raw.homeserver = {
      server_name: "gym.example.de",
      public_baseurl: "https://matrix.gym.example.de",
      port: 8448,
      federation_allowlist: ["realschule.example.de", "kreis.example.de"],
      database: { kind: "postgres", user: "synapse", password: "pw", database: "synapse_gym" },
    };
    const gen = generateSchool(SchoolFileSchema.parse(raw), dir);
    const hs = readYaml(gen.synapse.homeserverYaml);
    assert.deepEqual(hs.federation_domain_whitelist, ["realschule.example.de", "kreis.example.de"]);
    assert.equal((hs.listeners as Obj[])[0]?.port, 8448);
    assert.deepEqual(hs.database, {
      name: "psycopg2",
      args: { user: "synapse", password: "pw", database: "synapse_gym", host: "127.0.0.1", port: 5432, cp_min: 5, cp_max: 10 },
    });
  });
});

describe("generateFromFile", () => {
  /** Writes `raw` as school.yaml into a new folder and returns the folder. */
  function withSchoolFile(raw: unknown): string {
    const dir = tempDir();
    writeFileSync(join(dir, "school.yaml"), stringify(raw));
    return dir;
  }
  function configError(dir: string): ConfigError {
    try {
      generateFromFile(dir);
    } catch (e) {
      assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
      return e;
    }
    assert.fail("expected a ConfigError");
  }

  it("generates from a valid school.yaml", () => {
    const dir = withSchoolFile(minimalSchool());
    const gen = generateFromFile(dir);
    assert.equal(gen.school.school.timezone, "Europe/Berlin");
    assert.equal(readYaml(gen.synapse.homeserverYaml).server_name, "schule.example.de");
  });

  it("names school.yaml and school.state for an unknown state", () => {
    const raw = minimalSchool();
    (raw.school as Obj).state = "XX";
    const e = configError(withSchoolFile(raw));
    assert.equal(e.key, "school.state");
    assert.ok(e.message.includes("school.yaml"), e.message);
    assert.ok(e.message.includes("school.state"), e.message);
  });

  it("names homeserver.port for a port that is not a number", () => {
    const raw = minimalSchool();
    (raw.homeserver as Obj).port = "abc";
    const e = configError(withSchoolFile(raw));
    assert.equal(e.key, "homeserver.port");
    assert.ok(e.message.includes("school.yaml"), e.message);
  });

  it("names the file when school.yaml is missing", () => {
    const dir = tempDir();
    const e = configError(dir);
    assert.equal(e.file, join(dir, "school.yaml"));
    assert.match(e.message, /ENOENT/);
  });
});
