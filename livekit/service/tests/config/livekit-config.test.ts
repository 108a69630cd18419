// livekit-server YAML generators: parsed back, the dev config stays on loopback, the production config carries Redis,
// TURN/TLS, ports and room defaults; when a livekit-server binary is at hand it must accept both files in strict mode.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { ConfigError } from "@schulhof/core";
import { devConfig, productionConfig, randomKeys, type ProductionConfigOptions } from "../../src/config/livekit-config.ts";

type Yaml = Record<string, unknown> & {
  rtc: Record<string, unknown>;
  room: Record<string, unknown>;
  turn: Record<string, unknown>;
  keys: Record<string, string>;
  logging: Record<string, unknown>;
};

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "..");
const dir = mkdtempSync(join(tmpdir(), "schulhof-livekit-config-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const keys = randomKeys();
const keyMap = { [keys.apiKey]: keys.apiSecret };

function dev(extra: Partial<Parameters<typeof devConfig>[0]> = {}): string {
  return devConfig({ port: 17880, rtcUdpPortRange: [17882, 17882], bind: "127.0.0.1", keys: keyMap, ...extra });
}

function prodOptions(extra: Partial<ProductionConfigOptions> = {}): ProductionConfigOptions {
  return {
    nodes: 3,
    redis: { address: "redis.internal:6379", password: "redis-pass", db: 2 },
    turn: { domain: "turn.schule.example", tlsPort: 443, udpPort: 3478, certFile: "/etc/livekit/turn.crt", keyFile: "/etc/livekit/turn.key" },
    keys: keyMap,
    rtc: { tcpPort: 7881, udpPortRange: [50000, 60000], nodeIpFromEnv: true },
    webhookUrl: "https://schule.example/_schulhof/video/v1/webhook",
    region: "eu-central",
    ...extra,
  };
}

/** The livekit-server binary the bootstrap builds, or one on PATH; undefined when neither exists. */
function livekitBinary(): string | undefined {
  const local = join(REPO_ROOT, ".tools", "bin", "livekit-server");
  if (existsSync(local)) return local;
  for (const p of (process.env.PATH ?? "").split(":")) if (p !== "" && existsSync(join(p, "livekit-server"))) return join(p, "livekit-server");
  return undefined;
}

/** `livekit-server --config <file> ports`: parses the file strictly (unknown keys fail) without starting anything. */
function serverPorts(bin: string, yamlText: string, env: Record<string, string> = {}): string {
  const file = join(dir, `c-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, yamlText);
  const r = spawnSync(bin, ["--config", file, "ports"], { encoding: "utf8", env: { ...process.env, ...env }, timeout: 20_000 });
  const out = `${r.stdout}${r.stderr}`;
  assert.match(out, /^TCP Ports/m, `livekit-server refused the config:\n${out}`);
  return out;
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    return e;
  }
  assert.fail("expected a ConfigError");
}

describe("devConfig", () => {
  it("binds only loopback, advertises only loopback and discovers no external IP", () => {
    const c = parse(dev()) as Yaml;
    assert.equal(c.port, 17880);
    assert.deepEqual(c.bind_addresses, ["127.0.0.1"]);
    assert.equal(c.rtc.node_ip, "127.0.0.1");
    assert.equal(c.rtc.use_external_ip, false);
    assert.equal(c.rtc.enable_loopback_candidate, true);
    assert.deepEqual(c.rtc.ips, { includes: ["127.0.0.1/32"] });
    assert.equal(c.rtc.udp_port, 17882);
    // ICE/TCP would listen on all interfaces whatever bind_addresses says.
    assert.equal(c.rtc.tcp_port, 0);
    // Clients get a loopback STUN address, not LiveKit's default Google servers.
    assert.deepEqual(c.rtc.stun_servers, ["127.0.0.1:17880"]);
    assert.deepEqual(c.turn, { enabled: false });
    assert.equal(c.redis, undefined);
    assert.deepEqual(c.keys, keyMap);
    assert.equal(c.logging.level, "info");
    assert.equal(c.logging.pion_level, "error");
    assert.equal(c.webhook, undefined);
  });

  it("writes a UDP range as start-end and a webhook signed with one of the keys", () => {
    const c = parse(dev({ rtcUdpPortRange: [17882, 17883], webhook: { url: "http://127.0.0.1:9/hook", apiKey: keys.apiKey }, logLevel: "warn" })) as Yaml;
    assert.equal(c.rtc.udp_port, "17882-17883");
    assert.deepEqual(c.webhook, { api_key: keys.apiKey, urls: ["http://127.0.0.1:9/hook"] });
    assert.equal(c.logging.level, "warn");
  });

  it("applies class room defaults, overridable", () => {
    const c = parse(dev()) as Yaml;
    assert.equal(c.room.auto_create, true);
    assert.equal(c.room.empty_timeout, 300);
    assert.equal(c.room.max_participants, 60);
    const d = parse(dev({ room: { maxParticipants: 5, emptyTimeoutSeconds: 10 } })) as Yaml;
    assert.equal(d.room.max_participants, 5);
    assert.equal(d.room.empty_timeout, 10);
  });

  it("refuses non-loopback addresses, bad ports, short secrets and unknown webhook keys", () => {
    assert.equal(configError(() => dev({ bind: "0.0.0.0" })).key, "bind_addresses");
    assert.equal(configError(() => dev({ bind: "192.168.1.10" })).key, "bind_addresses");
    assert.equal(configError(() => dev({ port: 70000 })).key, "port");
    assert.equal(configError(() => dev({ rtcUdpPortRange: [17883, 17882] })).key, "rtc.udp_port");
    assert.equal(configError(() => dev({ keys: { devkey: "secret" } })).key, "keys.devkey");
    assert.equal(configError(() => dev({ keys: {} })).key, "keys");
    assert.equal(configError(() => dev({ webhook: { url: "http://127.0.0.1:9/", apiKey: "nope" } })).key, "webhook.api_key");
    const ipv6 = parse(dev({ bind: "::1" })) as Yaml;
    assert.deepEqual(ipv6.rtc.ips, { includes: ["::1/128"] });
    assert.deepEqual(ipv6.rtc.stun_servers, ["[::1]:17880"]);
  });
});

describe("productionConfig", () => {
  it("carries Redis, TURN/TLS, ports, congestion control, room defaults and the webhook", () => {
    const c = parse(productionConfig(prodOptions())) as Yaml;
    assert.equal(c.port, 7880);
    assert.equal(c.bind_addresses, undefined);
    assert.deepEqual(c.redis, { address: "redis.internal:6379", password: "redis-pass", db: 2 });
    assert.deepEqual(c.turn, {
      enabled: true,
      domain: "turn.schule.example",
      tls_port: 443,
      udp_port: 3478,
      cert_file: "/etc/livekit/turn.crt",
      key_file: "/etc/livekit/turn.key",
      external_tls: false,
    });
    assert.equal(c.rtc.tcp_port, 7881);
    assert.equal(c.rtc.port_range_start, 50000);
    assert.equal(c.rtc.port_range_end, 60000);
    assert.equal(c.rtc.use_external_ip, false);
    assert.equal(c.rtc.node_ip, undefined);
    assert.deepEqual(c.rtc.congestion_control, { enabled: true, allow_pause: true });
    assert.equal(c.room.max_participants, 60);
    assert.equal(c.room.empty_timeout, 300);
    assert.deepEqual(c.webhook, { api_key: keys.apiKey, urls: ["https://schule.example/_schulhof/video/v1/webhook"] });
    assert.equal(c.region, "eu-central");
    assert.equal((c.node_selector as Record<string, unknown>).kind, "sysload");
    assert.equal(c.logging.json, true);
  });

  it("discovers the public IP unless NODE_IP comes from the environment; one node selects any", () => {
    const c = parse(productionConfig(prodOptions({ nodes: 1, rtc: { tcpPort: 7881, udpPortRange: [50000, 60000] }, redis: { address: "r:6379" } }))) as Yaml;
    assert.equal(c.rtc.use_external_ip, true);
    assert.deepEqual(c.redis, { address: "r:6379" });
    assert.equal((c.node_selector as Record<string, unknown>).kind, "any");
    assert.equal(c.region, "eu-central");
    assert.equal(c.prometheus, undefined);
    const p = parse(productionConfig(prodOptions({ prometheusPort: 6789, bindAddresses: ["10.0.0.5"] }))) as Yaml;
    assert.deepEqual(p.prometheus, { port: 6789 });
    assert.deepEqual(p.bind_addresses, ["10.0.0.5"]);
  });

  it("refuses a missing Redis, short secrets, bad ports and a missing TURN domain", () => {
    assert.equal(configError(() => productionConfig(prodOptions({ redis: { address: "" } }))).key, "redis.address");
    assert.equal(configError(() => productionConfig(prodOptions({ keys: { k: "short" } }))).key, "keys.k");
    assert.equal(configError(() => productionConfig(prodOptions({ nodes: 0 }))).key, "nodes");
    assert.equal(configError(() => productionConfig(prodOptions({ rtc: { tcpPort: 0, udpPortRange: [50000, 60000] } }))).key, "rtc.tcp_port");
    assert.equal(configError(() => productionConfig(prodOptions({ turn: { ...prodOptions().turn, domain: "" } }))).key, "turn.domain");
  });
});

describe("randomKeys", () => {
  it("gives distinct keys with secrets of at least 32 letters and digits", () => {
    const a = randomKeys();
    const b = randomKeys();
    assert.notEqual(a.apiKey, b.apiKey);
    assert.notEqual(a.apiSecret, b.apiSecret);
    assert.match(a.apiKey, /^API[A-Za-z0-9]{12}$/);
    assert.match(a.apiSecret, /^[A-Za-z0-9]{32,}$/);
  });
});

describe("livekit-server accepts the generated files (strict parsing)", () => {
  const bin = livekitBinary();
  it("dev config", { skip: bin === undefined ? "livekit-server not installed" : false }, () => {
    const out = serverPorts(bin as string, dev({ webhook: { url: "http://127.0.0.1:9/hook", apiKey: keys.apiKey } }));
    assert.match(out, /17880 - HTTP service/);
    assert.doesNotMatch(out, /ICE\/TCP/);
  });

  it("production config (NODE_IP from the environment, so no STUN lookup)", { skip: bin === undefined ? "livekit-server not installed" : false }, () => {
    const out = serverPorts(bin as string, productionConfig(prodOptions({ prometheusPort: 6789 })), { NODE_IP: "10.0.0.5" });
    assert.match(out, /7881 - ICE\/TCP/);
    assert.match(out, /50000-60000 - ICE\/UDP range/);
    assert.match(out, /443 - TURN\/TLS/);
    assert.match(out, /3478 - TURN\/UDP/);
  });
});
