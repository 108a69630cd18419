// Reading YAML config files through zod schemas; every error names the file and the key.
import { readFileSync } from "node:fs";
import { parse as parseYaml, YAMLParseError } from "yaml";
import { z } from "zod";
import { ConfigError } from "./errors.ts";

/** Turns the first zod issue into a ConfigError naming `file` and the key's dotted path. */
export function configErrorFrom(file: string, error: z.ZodError): ConfigError {
  const issue = error.issues[0];
  if (issue === undefined) return new ConfigError(file, "", "invalid");
  const key = issue.path.map(String).join(".");
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more)` : "";
  return new ConfigError(file, key, `${issue.message}${more}`);
}

/** Validates an already parsed object against `schema`. */
export function parseConfig<S extends z.ZodType>(file: string, raw: unknown, schema: S): z.infer<S> {
  const r = schema.safeParse(raw);
  if (!r.success) throw configErrorFrom(file, r.error);
  return r.data;
}

/** Reads a YAML file and validates it; a missing file, bad YAML or a bad value throws ConfigError. */
export function loadYamlConfig<S extends z.ZodType>(file: string, schema: S): z.infer<S> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new ConfigError(file, "", `cannot read file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    if (e instanceof YAMLParseError) {
      const pos = e.linePos?.[0];
      throw new ConfigError(file, pos === undefined ? "" : `line ${pos.line}`, e.message.split("\n")[0] ?? "bad YAML");
    }
    throw e;
  }
  return parseConfig(file, raw, schema);
}

/** The database section shared by every appservice. */
export const DbConfigSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("postgres"),
    url: z.string().startsWith("postgres", "must be a postgres:// or postgresql:// URL"),
    schema: z.string().regex(/^[a-z_][a-z0-9_]*$/).optional(),
    pool_size: z.number().int().min(1).max(100).default(10),
  }),
  z.object({ kind: z.literal("pglite"), path: z.string().nullable() }),
]);

/** A TCP listener; loopback by default. */
export const ListenSchema = z.object({
  bind: z.string().default("127.0.0.1"),
  port: z.number().int().min(1).max(65535),
});
