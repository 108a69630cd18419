// The mail bridge: school mail addresses, SMTP in and out, mail conversations as Matrix rooms.
export { mailAppservice, mailAccepts } from "./app.ts";
export { MailBridgeConfigSchema, type MailBridgeConfig } from "./config.ts";
export { MAIL_MIGRATIONS } from "./store/migrations.ts";
export { MAIL_API_PREFIX } from "./api.ts";
export * as content from "./content/index.ts";
export * as addresses from "./addresses/index.ts";
export * as policy from "./policy/index.ts";
export { exportMailPerson, type MailPersonExport } from "./export/person.ts";
