// The appservices a school runs: their bots and namespaces, and their registration files for Synapse.
import { AppServiceRegistration } from "matrix-appservice";
import type { Secrets } from "./secrets.ts";

/** What Synapse must know of one appservice. */
export interface AppserviceSpec {
  id: string;
  botLocalpart: string;
  url: string;
  /** Localpart regexes the appservice owns alone (its bots and puppets). */
  exclusiveUsers: string[];
  /** Localpart regexes it may act as without owning them (people, for provisioning). */
  sharedUsers: string[];
  /** Room alias localpart regexes it owns. */
  exclusiveAliases: string[];
}

/** The appservices of the foundation; feature appservices add theirs here. */
type Listen = { bind: string; port: number; enabled: boolean };

export function builtinAppservices(ports: { school: { bind: string; port: number }; homework: Listen; calendar: Listen; mail?: Listen }): AppserviceSpec[] {
  const specs: AppserviceSpec[] = [
    {
      id: "school",
      botLocalpart: "schule",
      url: `http://${ports.school.bind}:${ports.school.port}`,
      exclusiveUsers: ["schule"],
      // People of the school: provisioning joins them to their rooms. Excludes `_` (puppets) and bots.
      sharedUsers: ["[a-z0-9][a-z0-9.\\-]*"],
      exclusiveAliases: ["schule-.*"],
    },
  ];
  if (ports.homework.enabled) {
    specs.push({
      id: "homework",
      botLocalpart: "hausaufgaben",
      url: `http://${ports.homework.bind}:${ports.homework.port}`,
      exclusiveUsers: ["hausaufgaben"],
      sharedUsers: [],
      exclusiveAliases: ["hausaufgaben-.*"],
    });
  }
  if (ports.calendar.enabled) {
    // Calendars and exam planning: one appservice, two bots (`@kalender`, `@klausuren`).
    specs.push({
      id: "calendar",
      botLocalpart: "kalender",
      url: `http://${ports.calendar.bind}:${ports.calendar.port}`,
      exclusiveUsers: ["kalender", "klausuren"],
      sharedUsers: [],
      exclusiveAliases: ["kalender-.*"],
    });
  }
  if (ports.mail?.enabled === true) {
    // The mail bridge: its bot and the puppets of outside senders (`@_mail_…`), and the conversation rooms' aliases.
    specs.push({
      id: "mail",
      botLocalpart: "mail",
      url: `http://${ports.mail.bind}:${ports.mail.port}`,
      exclusiveUsers: ["mail", "_mail_.*"],
      sharedUsers: [],
      exclusiveAliases: ["mail-.*"],
    });
  }
  return specs;
}

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The registration YAML object for one appservice (rate limits off for its own users, ephemeral events on). */
export function registrationFor(spec: AppserviceSpec, serverName: string, secrets: Secrets): Record<string, unknown> {
  const tokens = secrets.appservices[spec.id];
  if (tokens === undefined) throw new Error(`no tokens for appservice ${spec.id}`);
  const reg = new AppServiceRegistration(spec.url);
  reg.setId(spec.id);
  reg.setAppServiceToken(tokens.as_token);
  reg.setHomeserverToken(tokens.hs_token);
  reg.setSenderLocalpart(spec.botLocalpart);
  reg.setRateLimited(false);
  reg.pushEphemeral = true;
  const server = esc(serverName);
  for (const u of spec.exclusiveUsers) reg.addRegexPattern("users", `@${u}:${server}$`, true);
  for (const u of spec.sharedUsers) reg.addRegexPattern("users", `@${u}:${server}$`, false);
  for (const a of spec.exclusiveAliases) reg.addRegexPattern("aliases", `#${a}:${server}$`, true);
  return { ...reg.getOutput(), receive_ephemeral: true };
}
