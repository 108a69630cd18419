// The school file: what an admin writes (or `schulhof init` writes) and every generated config comes from.
import { z } from "zod";
import { DbConfigSchema } from "@schulhof/core";

/** German states, by their ISO 3166-2:DE codes (without the `DE-`). */
export const BUNDESLAENDER = ["BW", "BY", "BE", "BB", "HB", "HH", "HE", "MV", "NI", "NW", "RP", "SL", "SN", "ST", "SH", "TH"] as const;

const ServerName = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?$/, "must be a DNS name such as schule.example.de");

const SynapseDb = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("sqlite") }),
  z.object({
    kind: z.literal("postgres"),
    host: z.string().default("127.0.0.1"),
    port: z.number().int().default(5432),
    user: z.string(),
    password: z.string().optional(),
    database: z.string(),
  }),
]);

/** The school's federation listener and how it reaches the district: written from the district file. */
export const FederationSchema = z.object({
  /** The address other schools connect to; the TLS listener binds here. */
  bind: z.string(),
  port: z.number().int().min(1).max(65535).default(8448),
  /** The name other servers connect to (the delegation target in `.well-known/matrix/server`); default: the server name. */
  host: z.string().optional(),
  /** PEM certificate (chain) and key for the federation listener, valid for the server name and `host`. */
  tls_cert_file: z.string(),
  tls_key_file: z.string(),
  /** Extra CA certificates trusted for federation (a district CA); empty: the system's CAs only. */
  ca_files: z.array(z.string()).default([]),
  /** Addresses (IPs or CIDR ranges) Synapse may connect to although private: the district's own network. */
  allow_ips: z.array(z.string()).default([]),
  /** Static name → address map for districts without DNS (labs, tests); empty: the system resolver. */
  hosts: z.record(z.string(), z.string()).default({}),
  /** How often a school that is down is tried again: after `min_retry`, doubling up to `max_retry` (Synapse durations). */
  min_retry: z.string().regex(/^\d+(ms|s|m|h)$/).default("30s"),
  max_retry: z.string().regex(/^\d+(ms|s|m|h)$/).default("5m"),
});

/**
 * Synapse split into processes (docs/scaling.md): sync workers take the long-polls, client workers logins, reads and
 * event creation, event persisters write events; Redis carries replication. The school's port is then served by
 * Schulhof's router, which sends each request to its process; the processes listen on `base_port` and up.
 */
export const WorkersSchema = z.object({
  sync: z.number().int().min(0).max(16).default(2),
  client: z.number().int().min(0).max(16).default(1),
  event_persisters: z.number().int().min(0).max(8).default(1),
  /** First of the internal ports: main's client listener, main's replication listener, then one per worker. */
  base_port: z.number().int().min(1024).max(65000).default(18100),
  redis: z
    .object({
      host: z.string().default("127.0.0.1"),
      port: z.number().int().min(1).max(65535).default(6379),
      /** Whether Schulhof starts Redis itself (Debian's redis-server, loopback only, no persistence), or one runs already. */
      run: z.boolean().default(true),
    })
    .default({ host: "127.0.0.1", port: 6379, run: true }),
});

/** One appservice of the school: where it listens. Its tokens live in the secrets file. */
const AppserviceEntry = z.object({
  port: z.number().int().min(1).max(65535),
  bind: z.string().default("127.0.0.1"),
  enabled: z.boolean().default(true),
});

export const SchoolFileSchema = z.object({
  school: z.object({
    id: z.string().regex(/^[a-z0-9-]+$/, "lowercase letters, digits and - only"),
    name: z.string().min(1),
    state: z.enum(BUNDESLAENDER),
    timezone: z.string().default("Europe/Berlin"),
    mail_domain: ServerName,
    language: z.enum(["de", "en"]).default("de"),
    /** The school's form, for exam rules that differ by form (see docs/exam-rules.md). */
    school_form: z.enum(["grundschule", "hauptschule", "realschule", "oberschule", "gesamtschule", "gymnasium", "berufsschule", "foerderschule"]).optional(),
  }),
  calendar: z
    .object({
      /** Where phones reach the feeds (`…/_schulhof/calendar/v1/feed/…`); default: the appservice's own address. */
      feed_base_url: z.url().optional(),
    })
    .default({}),
  roster: z
    .object({
      /**
       * A roster import that would deactivate more than this share of the school's active people (0.2: 20 %) needs a
       * confirmation: `--force`, or the Verwaltung's second question. See docs/roster-format.md.
       */
      max_deactivate_share: z.number().gt(0, "must be more than 0 (0.2 is 20 %)").max(1, "must be at most 1 (1 is 100 %)").default(0.2),
    })
    .default({ max_deactivate_share: 0.2 }),
  homeserver: z.object({
    server_name: ServerName,
    public_baseurl: z.url(),
    bind: z.string().default("127.0.0.1"),
    port: z.number().int().min(1).max(65535).default(8008),
    database: SynapseDb.default({ kind: "sqlite" }),
    /** bcrypt cost for passwords people set; see docs/provisioning.md. */
    bcrypt_rounds: z.number().int().min(10).max(15).default(12),
    /** Server names this school federates with (its district). Empty: no federation. */
    federation_allowlist: z.array(ServerName).default([]),
    /** How other district servers reach this one (TLS); written by the district generator (docs/district.md). Absent: no federation listener. */
    federation: FederationSchema.optional(),
    max_upload_size_mb: z.number().int().min(1).max(1024).default(100),
    /**
     * Whether a new device (a login) is announced to everyone who shares a room with its owner at once (Synapse's
     * default), or only when it publishes encryption keys (`false`, Schulhof's default: a device without keys cannot
     * read encrypted messages, and its key upload announces it). See docs/scaling.md, "New devices".
     */
    announce_new_devices: z.boolean().default(false),
    /** Who finds whom in the user directory: everyone of the school, people sharing a room, or nobody. */
    user_directory: z.enum(["school", "shared-rooms", "off"]).default("school"),
    /** Synapse workers for a large school or a lockdown day; absent: one Synapse process. */
    workers: WorkersSchema.optional(),
  })
    .superRefine((hs, ctx) => {
      // Synapse's workers share one database server; SQLite is one file for one process.
      if (hs.workers !== undefined && hs.database.kind !== "postgres") {
        ctx.addIssue({ code: "custom", path: ["workers"], message: "Synapse workers need PostgreSQL: set homeserver.database.kind to postgres" });
      }
    }),
  appservices: z
    .object({
      school: AppserviceEntry.default({ port: 9100, bind: "127.0.0.1", enabled: true }),
      homework: AppserviceEntry.default({ port: 9101, bind: "127.0.0.1", enabled: true }),
      calendar: AppserviceEntry.default({ port: 9102, bind: "127.0.0.1", enabled: true }),
      mail: AppserviceEntry.default({ port: 9103, bind: "127.0.0.1", enabled: true }),
    })
    .default({
      school: { port: 9100, bind: "127.0.0.1", enabled: true },
      homework: { port: 9101, bind: "127.0.0.1", enabled: true },
      calendar: { port: 9102, bind: "127.0.0.1", enabled: true },
      mail: { port: 9103, bind: "127.0.0.1", enabled: true },
    }),
  mail: z
    .object({
      /** Where the bridge's SMTP server listens (the MX points here, usually through port 25 forwarded). */
      smtp_bind: z.string().default("127.0.0.1"),
      smtp_port: z.number().int().min(1).max(65535).default(2525),
      /** The name in the SMTP greeting; default mx.<mail_domain>. */
      hostname: z.string().optional(),
      /** PEM files for STARTTLS (relative to the data folder or absolute). */
      tls_key_file: z.string().optional(),
      tls_cert_file: z.string().optional(),
      /** The relay outgoing mail goes through (the school's or its provider's smarthost). */
      relay: z
        .object({
          host: z.string().default("127.0.0.1"),
          port: z.number().int().min(1).max(65535).default(2526),
          secure: z.boolean().default(false),
          require_tls: z.boolean().default(false),
          user: z.string().optional(),
          password: z.string().optional(),
        })
        .default({ host: "127.0.0.1", port: 2526, secure: false, require_tls: false }),
      dkim_selector: z.string().regex(/^[a-z0-9-]+$/).default("schulhof"),
      /** The school's mail policy (docs/mail-addresses.md); checked by the bridge. */
      policy: z.record(z.string(), z.unknown()).default({}),
      /** Static DNS records for SPF/DKIM/DMARC checks (demo and tests); absent: the system resolver. */
      dns: z.record(z.string(), z.record(z.string(), z.array(z.union([z.string(), z.array(z.string())])))).optional(),
      /** Demo: a local relay that keeps outgoing mail as .eml files in data/<school>/mail/outbox. */
      demo_outbox: z.boolean().default(false),
    })
    .default({ smtp_bind: "127.0.0.1", smtp_port: 2525, relay: { host: "127.0.0.1", port: 2526, secure: false, require_tls: false }, dkim_selector: "schulhof", policy: {}, demo_outbox: false }),
  database: DbConfigSchema,
  video: z
    .object({
      livekit_url: z.string().default("ws://127.0.0.1:7880"),
      token_service_url: z.string().default("http://127.0.0.1:8070"),
    })
    .default({ livekit_url: "ws://127.0.0.1:7880", token_service_url: "http://127.0.0.1:8070" }),
  /** The school's place in its district (written from the district file). */
  district: z
    .object({
      name: z.string().optional(),
      /** Whether this school's teachers are listed in the user directory of the district's other schools. */
      share_directory: z.boolean().default(false),
    })
    .default({ share_directory: false }),
  web: z
    .object({
      bind: z.string().default("127.0.0.1"),
      port: z.number().int().default(8080),
      /** The address people open; the feature APIs are reached under it (`/_schulhof/<service>/v1`). Default: http://bind:port. */
      public_url: z.url().optional(),
    })
    .default({ bind: "127.0.0.1", port: 8080 }),
});

export type SchoolFile = z.infer<typeof SchoolFileSchema>;
