// Synapse's homeserver.yaml and log config for one school, as plain objects.
import { join } from "node:path";
import type { SchoolFile } from "./schema.ts";
import type { Secrets } from "./secrets.ts";
import { mainProcessListeners, mainProcessSettings, workerLayout } from "./workers.ts";

/** Paths of the files one school's Synapse uses. */
export interface SynapsePaths {
  dir: string;
  homeserverYaml: string;
  logConfig: string;
  registrations: string[];
}

/** homeserver.yaml for `school`: loopback listener, closed registration, district-only federation. */
export function homeserverYaml(school: SchoolFile, secrets: Secrets, paths: SynapsePaths): Record<string, unknown> {
  const hs = school.homeserver;
  const database =
    hs.database.kind === "sqlite"
      ? { name: "sqlite3", args: { database: join(paths.dir, "homeserver.db") } }
      : {
          name: "psycopg2",
          args: {
            user: hs.database.user,
            password: hs.database.password,
            database: hs.database.database,
            host: hs.database.host,
            port: hs.database.port,
            cp_min: 5,
            cp_max: 10,
          },
        };
  const fed = hs.federation;
  // With workers the school's port belongs to the router (run.ts); the main process listens behind it.
  const layout = hs.workers === undefined ? null : workerLayout(hs.workers, paths.dir);
  const listeners: Record<string, unknown>[] = layout !== null ? mainProcessListeners(layout) : [
    {
      port: hs.port,
      bind_addresses: [hs.bind],
      type: "http",
      tls: false,
      x_forwarded: false,
      resources: [{ names: ["client", "federation", "openid"], compress: false }],
    },
  ];
  // The district's schools connect here, over TLS with the school's certificate.
  if (fed !== undefined) listeners.push({ port: fed.port, bind_addresses: [fed.bind], type: "http", tls: true, x_forwarded: false, resources: [{ names: ["federation"], compress: false }] });
  return {
    server_name: hs.server_name,
    public_baseurl: hs.public_baseurl,
    pid_file: join(paths.dir, "homeserver.pid"),
    listeners,
    database,
    log_config: paths.logConfig,
    media_store_path: join(paths.dir, "media_store"),
    signing_key_path: join(paths.dir, "signing.key"),
    registration_shared_secret: secrets.registration_shared_secret,
    macaroon_secret_key: secrets.macaroon_secret_key,
    form_secret: secrets.form_secret,
    report_stats: false,
    enable_registration: false,
    bcrypt_rounds: hs.bcrypt_rounds,
    // Read by Schulhof's launcher (homeserver-config/python/schulhof_synapse.py), not by Synapse: a login's new device
    // is announced to the people who share a room with its owner when it publishes keys, not when it is made.
    schulhof_quiet_new_devices: !hs.announce_new_devices,
    // A school's data stays home: no key servers, no room directory for the world, no URL previews.
    trusted_key_servers: [],
    suppress_key_server_warning: true,
    federation_domain_whitelist: hs.federation_allowlist,
    ...(fed === undefined ? {} : federationSettings(fed)),
    ...(layout === null ? {} : mainProcessSettings(layout)),
    allow_public_rooms_over_federation: false,
    allow_public_rooms_without_auth: false,
    url_preview_enabled: false,
    max_upload_size: `${hs.max_upload_size_mb}M`,
    // A whole school logs in from one address (the school's NAT) at 07:30: the per-address login
    // limit is raised; per-account and failed-attempt limits (brute force) stay at Synapse's defaults.
    rc_login: {
      address: { per_second: 5, burst_count: 100 },
      account: { per_second: 0.17, burst_count: 3 },
      failed_attempts: { per_second: 0.17, burst_count: 3 },
    },
    // Presence is the costliest feature under load and tells pupils' online times; off by default.
    presence: { enabled: false },
    user_directory: { enabled: hs.user_directory !== "off", search_all_users: hs.user_directory === "school" },
    app_service_config_files: paths.registrations,
    limit_remote_rooms: { enabled: false },
    // MatrixRTC (MSC4143): clients learn the district's video token service from the homeserver too.
    experimental_features: { msc3266_enabled: true, msc4143_enabled: true },
    // Invites carry the rooms' Schulhof markers, so clients can tell a submission or mail room before joining it.
    room_prejoin_state: {
      additional_event_types: ["de.schulhof.room", "de.schulhof.calendar", "de.schulhof.exam.cohort", "de.schulhof.homework.submission_room", "de.schulhof.mail.conversation"],
    },
    // MSC4140 delayed events: a call page that dies leaves the call after a minute (its "leave" was scheduled in advance).
    max_event_delay_duration: "24h",
    matrix_rtc: { transports: [{ type: "livekit", livekit_service_url: school.video.token_service_url }] },
  };
}

/** TLS, the district CA, the district's addresses and how soon a school that was down is tried again. */
function federationSettings(fed: NonNullable<SchoolFile["homeserver"]["federation"]>): Record<string, unknown> {
  return {
    tls_certificate_path: fed.tls_cert_file,
    tls_private_key_path: fed.tls_key_file,
    federation_verify_certificates: true,
    ...(fed.ca_files.length > 0 ? { federation_custom_ca_list: fed.ca_files } : {}),
    // Synapse refuses private addresses (loopback, 10/8, …) for outgoing requests; a district on its own network names its addresses.
    ...(fed.allow_ips.length > 0 ? { ip_range_whitelist: fed.allow_ips } : {}),
    federation: { destination_min_retry_interval: fed.min_retry, destination_max_retry_interval: fed.max_retry },
  };
}

/** Python logging config: warnings to the console, info to a rotating file. */
export function logConfig(dir: string, file = "homeserver.log"): Record<string, unknown> {
  return {
    version: 1,
    formatters: { precise: { format: "%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - %(request)s - %(message)s" } },
    handlers: {
      file: {
        class: "logging.handlers.RotatingFileHandler",
        formatter: "precise",
        filename: join(dir, file),
        maxBytes: 10_000_000,
        backupCount: 3,
        encoding: "utf8",
      },
      console: { class: "logging.StreamHandler", formatter: "precise", level: "WARNING" },
    },
    loggers: { "synapse.storage.SQL": { level: "WARNING" } },
    root: { level: "INFO", handlers: ["file", "console"] },
    disable_existing_loggers: false,
  };
}
