// What the operations commands (backup, restore, install, status) read from school.yaml beyond the school file's own
// schema: the `backup` and `server` sections. Other keys are left to homeserver-config's schema.
import { readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { ConfigError, loadYamlConfig, parseConfig, SchulhofError } from "@schulhof/core";
import { SchoolFileSchema, type SchoolFile } from "@schulhof/homeserver-config";

/** An error people read: German first, English second, as every Schulhof message. */
export function opsError(code: string, de: string, en: string): SchulhofError {
  return new SchulhofError(code, `${de}\n  (${en})`, { de, en });
}

export const BackupSchema = z.object({
  /** A local folder (absolute, or relative to the data folder) or any restic repository URL (sftp:, rest:, s3:, …). */
  repository: z.string().min(1).optional(),
  /** The repository's password; made at the first backup (mode 0600). Keep a copy away from the server. */
  password_file: z.string().default("backup-password"),
  /**
   * Environment for a remote repository (restic's own variables: AWS_ACCESS_KEY_ID, …). restic 0.14 takes a REST
   * server's account only in the URL: `RESTIC_REPOSITORY=rest:https://user:pw@host/` here overrides `repository`.
   */
  env_file: z.string().optional(),
  /** How many snapshots `restic forget --prune` keeps after each backup. */
  keep: z
    .object({
      daily: z.number().int().min(1).default(7),
      weekly: z.number().int().min(0).default(4),
      monthly: z.number().int().min(0).default(12),
    })
    .default({ daily: 7, weekly: 4, monthly: 12 }),
  /** When the daily backup timer fires (systemd OnCalendar). */
  on_calendar: z.string().default("*-*-* 02:30:00"),
});
export type BackupConfig = z.infer<typeof BackupSchema>;

/** Facts about the server that the school file does not hold: addresses for DNS, where things live. */
export const ServerSchema = z.object({
  ipv4: z.ipv4().optional(),
  ipv6: z.ipv6().optional(),
  /** The unprivileged user every process runs as. */
  user: z.string().regex(/^[a-z_][a-z0-9_-]*$/).default("schulhof"),
  /** Where Schulhof's code lives on the server (a checkout of this repository). */
  install_dir: z.string().default("/opt/schulhof"),
  /** Where ACME's account mails go (Let's Encrypt's expiry warnings). */
  acme_email: z.email().optional(),
  /** Video on this server (a district usually runs it centrally, docs/video.md): the files `schulhof district` wrote. */
  video: z
    .object({
      livekit_config: z.string().optional(),
      token_service_config: z.string().optional(),
      livekit_binary: z.string().default("/usr/local/bin/livekit-server"),
    })
    .optional(),
});
export type ServerConfig = z.infer<typeof ServerSchema>;

const OpsSchema = z.object({ backup: BackupSchema.default(BackupSchema.parse({})), server: ServerSchema.default(ServerSchema.parse({})) });

export interface OpsSchool {
  dataDir: string;
  file: string;
  school: SchoolFile;
  backup: BackupConfig;
  server: ServerConfig;
}

/** Reads `<dataDir>/school.yaml`: the school (homeserver-config's schema) and the ops sections; errors name file and key. */
export function loadOpsSchool(dataDir: string): OpsSchool {
  const file = join(dataDir, "school.yaml");
  const school = loadYamlConfig(file, SchoolFileSchema);
  const raw: unknown = parseYaml(readFileSync(file, "utf8"));
  const ops = parseConfig(file, raw, OpsSchema);
  return { dataDir, file, school, backup: ops.backup, server: ops.server };
}

/** A path of the school file: absolute, or relative to the data folder. */
export function atData(dataDir: string, p: string): string {
  return isAbsolute(p) ? p : join(dataDir, p);
}

/** Whether a repository is a local folder (no restic backend prefix such as `sftp:` or `rest:`). */
export function isLocalRepository(repo: string): boolean {
  return !/^(sftp|rest|s3|b2|azure|gs|swift|rclone):/.test(repo);
}

export { ConfigError };
