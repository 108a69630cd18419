// livekit-server configuration (YAML) for the loopback demo and tests, and for a production cluster with Redis and TURN/TLS.
// Keys follow livekit-server 1.9 (pkg/config/config.go); the server refuses unknown keys only in strict mode, so tests check them.
import { randomBytes } from "node:crypto";
import { isIP } from "node:net";
import { stringify } from "yaml";
import { ConfigError } from "@schulhof/core";

const FILE = "livekit.yaml";
/** LiveKit logs an error for shorter secrets (outside development mode); we refuse them. */
export const MIN_SECRET_LENGTH = 32;
/** Room defaults for a class: the empty room closes after 5 minutes, at most 60 people (a class, teachers, guests). */
export const CLASS_ROOM_DEFAULTS = { emptyTimeoutSeconds: 300, departureTimeoutSeconds: 20, maxParticipants: 60 } as const;

export interface RoomDefaults {
  emptyTimeoutSeconds?: number;
  departureTimeoutSeconds?: number;
  maxParticipants?: number;
}

export interface DevConfigOptions {
  /** HTTP/WebSocket port (signalling and the RoomService API). */
  port: number;
  /**
   * ICE over TCP. livekit-server 1.9 listens on `rtc.tcp_port` on every interface whatever `bind_addresses` says,
   * so the loopback config leaves it off (`tcp_port: 0`); the value is only checked. Media runs over UDP.
   */
  rtcTcpPort?: number;
  /** UDP ports for media, muxed (`rtc.udp_port`); LiveKit uses at most one port per CPU of the range. */
  rtcUdpPortRange: [number, number];
  /** A loopback address: every listener and every ICE candidate stays on it. */
  bind: string;
  /** API key → secret. */
  keys: Record<string, string>;
  /** Room events are POSTed to `url`, signed with `apiKey` (one of `keys`). */
  webhook?: { url: string; apiKey: string };
  /** Defaults to `info` (startup and one line per join/leave); pion logs errors only. */
  logLevel?: "debug" | "info" | "warn" | "error";
  room?: RoomDefaults;
}

export interface ProductionConfigOptions {
  /** How many livekit-server nodes share the Redis (the same file serves all of them); more than one picks rooms' nodes by load. */
  nodes: number;
  redis: { address: string; password?: string; db?: number };
  /**
   * Embedded TURN: TLS on `tlsPort` (certificate for `domain`) and UDP on `udpPort`, for networks that block WebRTC.
   * livekit-server 1.9 always tells clients `turns:<domain>:443`, so use 443 or have the load balancer forward 443 here.
   */
  turn: { domain: string; tlsPort: number; udpPort: number; certFile: string; keyFile: string };
  keys: Record<string, string>;
  rtc: {
    tcpPort: number;
    /** Open these UDP ports in the firewall; each connection takes one. */
    udpPortRange: [number, number];
    /** Take the advertised address from `NODE_IP` (`--node-ip`) instead of asking STUN servers for the public one. */
    nodeIpFromEnv?: boolean;
  };
  /** Schulhof's webhook endpoint; signed with the first of `keys`. */
  webhookUrl: string;
  region?: string;
  /** HTTP/WebSocket port behind the TLS proxy; 7880 by default. */
  port?: number;
  /** Where the HTTP port listens; all interfaces when left out. */
  bindAddresses?: string[];
  room?: RoomDefaults;
  /** Prometheus metrics on this port (`prometheus.port`), off when left out. */
  prometheusPort?: number;
}

function checkPort(key: string, port: number, allowZero = false): void {
  if (!Number.isInteger(port) || port < (allowZero ? 0 : 1) || port > 65535) throw new ConfigError(FILE, key, `${port} is not a port`);
}

function checkRange(key: string, [start, end]: [number, number]): void {
  checkPort(`${key}[0]`, start);
  checkPort(`${key}[1]`, end);
  if (end < start) throw new ConfigError(FILE, key, `range ends (${end}) before it starts (${start})`);
}

function checkKeys(keys: Record<string, string>, minSecret: number): void {
  const entries = Object.entries(keys);
  if (entries.length === 0) throw new ConfigError(FILE, "keys", "at least one API key is needed");
  for (const [key, secret] of entries) {
    if (!/^[A-Za-z0-9_-]+$/.test(key)) throw new ConfigError(FILE, "keys", `API key ${JSON.stringify(key)} may only hold letters, digits, _ and -`);
    if (secret.length < minSecret) throw new ConfigError(FILE, `keys.${key}`, `secret has ${secret.length} characters, at least ${minSecret} are needed`);
  }
}

function isLoopback(address: string): boolean {
  if (isIP(address) === 4) return address.startsWith("127.");
  return address === "::1";
}

function roomSection(room: RoomDefaults | undefined): Record<string, unknown> {
  const r = { ...CLASS_ROOM_DEFAULTS, ...room };
  return {
    auto_create: true,
    empty_timeout: r.emptyTimeoutSeconds,
    departure_timeout: r.departureTimeoutSeconds,
    max_participants: r.maxParticipants,
    enabled_codecs: [{ mime: "audio/opus" }, { mime: "audio/red" }, { mime: "video/vp8" }, { mime: "video/h264" }],
  };
}

/** `udp_port` value: one port, or `start-end` (LiveKit refuses a range whose end is not after its start). */
function udpPortValue([start, end]: [number, number]): number | string {
  return end === start ? start : `${start}-${end}`;
}

/**
 * A single-node config for the demo and tests: every listener on the loopback `bind` address, no external IP discovery,
 * no TURN, ICE candidates only on `bind`, and a loopback STUN address handed to clients (without one LiveKit hands them
 * Google's public STUN servers). Throws ConfigError for a non-loopback address or bad ports and keys.
 */
export function devConfig(opts: DevConfigOptions): string {
  if (!isLoopback(opts.bind)) throw new ConfigError(FILE, "bind_addresses", `${opts.bind} is not a loopback address; the dev config stays on loopback`);
  checkPort("port", opts.port);
  if (opts.rtcTcpPort !== undefined) checkPort("rtc.tcp_port", opts.rtcTcpPort, true);
  checkRange("rtc.udp_port", opts.rtcUdpPortRange);
  checkKeys(opts.keys, MIN_SECRET_LENGTH);
  const ipCidr = isIP(opts.bind) === 4 ? `${opts.bind}/32` : `${opts.bind}/128`;
  const stunHost = isIP(opts.bind) === 4 ? opts.bind : `[${opts.bind}]`;
  const config: Record<string, unknown> = {
    port: opts.port,
    bind_addresses: [opts.bind],
    rtc: {
      udp_port: udpPortValue(opts.rtcUdpPortRange),
      tcp_port: 0,
      node_ip: opts.bind,
      use_external_ip: false,
      enable_loopback_candidate: true,
      ips: { includes: [ipCidr] },
      stun_servers: [`${stunHost}:${opts.port}`],
      use_mdns: false,
      allow_tcp_fallback: false,
      congestion_control: { enabled: true, allow_pause: false },
    },
    turn: { enabled: false },
    keys: { ...opts.keys },
    room: roomSection(opts.room),
    logging: { level: opts.logLevel ?? "info", pion_level: "error", json: false },
  };
  if (opts.webhook !== undefined) {
    if (opts.keys[opts.webhook.apiKey] === undefined) throw new ConfigError(FILE, "webhook.api_key", `${opts.webhook.apiKey} is not one of keys`);
    config.webhook = { api_key: opts.webhook.apiKey, urls: [opts.webhook.url] };
  }
  return stringify(config);
}

/**
 * The config every node of a production cluster shares: Redis routing, embedded TURN with TLS and UDP, UDP port range and
 * ICE over TCP, congestion control that may pause video, room defaults for a class, JSON logs, webhooks to Schulhof.
 * Throws ConfigError for missing Redis, short secrets or bad ports.
 */
export function productionConfig(opts: ProductionConfigOptions): string {
  if (!Number.isInteger(opts.nodes) || opts.nodes < 1) throw new ConfigError(FILE, "nodes", `${opts.nodes} is not a node count`);
  if (opts.redis.address.trim() === "") throw new ConfigError(FILE, "redis.address", "Redis is required: the nodes route rooms through it");
  checkKeys(opts.keys, MIN_SECRET_LENGTH);
  checkPort("port", opts.port ?? 7880);
  checkPort("rtc.tcp_port", opts.rtc.tcpPort);
  checkRange("rtc.port_range", opts.rtc.udpPortRange);
  checkPort("turn.tls_port", opts.turn.tlsPort);
  checkPort("turn.udp_port", opts.turn.udpPort);
  if (opts.turn.domain.trim() === "") throw new ConfigError(FILE, "turn.domain", "the TURN/TLS domain is required (it must match the certificate)");
  const webhookKey = Object.keys(opts.keys)[0] as string;

  const redis: Record<string, unknown> = { address: opts.redis.address };
  if (opts.redis.password !== undefined) redis.password = opts.redis.password;
  if (opts.redis.db !== undefined) redis.db = opts.redis.db;

  const rtc: Record<string, unknown> = {
    tcp_port: opts.rtc.tcpPort,
    port_range_start: opts.rtc.udpPortRange[0],
    port_range_end: opts.rtc.udpPortRange[1],
    // With NODE_IP from the environment the node advertises that address; otherwise it asks STUN for its public one.
    use_external_ip: opts.rtc.nodeIpFromEnv !== true,
    allow_tcp_fallback: true,
    congestion_control: { enabled: true, allow_pause: true },
  };

  const config: Record<string, unknown> = {
    port: opts.port ?? 7880,
    ...(opts.bindAddresses === undefined ? {} : { bind_addresses: opts.bindAddresses }),
    ...(opts.region === undefined ? {} : { region: opts.region }),
    redis,
    rtc,
    turn: {
      enabled: true,
      domain: opts.turn.domain,
      tls_port: opts.turn.tlsPort,
      udp_port: opts.turn.udpPort,
      cert_file: opts.turn.certFile,
      key_file: opts.turn.keyFile,
      external_tls: false,
    },
    keys: { ...opts.keys },
    room: roomSection(opts.room),
    webhook: { api_key: webhookKey, urls: [opts.webhookUrl] },
    node_selector:
      opts.nodes > 1 ? { kind: "sysload", sort_by: "sysload", sysload_limit: 0.7 } : { kind: "any", sort_by: "random" },
    logging: { level: "info", pion_level: "error", json: true, sample: true },
  };
  if (opts.prometheusPort !== undefined) {
    checkPort("prometheus.port", opts.prometheusPort);
    config.prometheus = { port: opts.prometheusPort };
  }
  return stringify(config);
}

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** Letters and digits from a CSPRNG (rejection sampling keeps them uniform). */
function randomAlnum(length: number): string {
  let out = "";
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b < 248 && out.length < length) out += ALNUM[b % 62];
    }
  }
  return out;
}

/** A fresh API key (`API` + 12 letters/digits) and secret (43 letters/digits, about 256 bits). */
export function randomKeys(): { apiKey: string; apiSecret: string } {
  return { apiKey: `API${randomAlnum(12)}`, apiSecret: randomAlnum(43) };
}
