// Public surface of @schulhof/homeserver-config: from a school file to Synapse config, registrations and well-known.
export { SchoolFileSchema, BUNDESLAENDER, type SchoolFile } from "./schema.ts";
export { loadOrCreateSecrets, saveSecrets, newToken, SecretsSchema, type Secrets } from "./secrets.ts";
export { builtinAppservices, registrationFor, type AppserviceSpec } from "./appservices.ts";
export { homeserverYaml, logConfig, type SynapsePaths } from "./synapse.ts";
export { webPublicUrl, wellKnownClient, wellKnownServer } from "./wellknown.ts";
export { generateSchool, generateFromFile, type GeneratedSchool } from "./generate.ts";
export { runSynapse, synapsePython, REPO_ROOT, type RunningSynapse } from "./run.ts";
export { stopProcess, Supervisor, type ProcessEvent, type RestartPolicy } from "./processes.ts";
export { ensureSystemAdmin, SYSTEM_ADMIN_LOCALPART } from "./admin.ts";
export { DistrictFileSchema, generateDistrict, loadDistrictFile, type DistrictFile, type GeneratedDistrict } from "./district.ts";
