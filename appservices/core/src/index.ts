// Public surface of @schulhof/core, the runtime every Schulhof appservice shares.
export { SchulhofError, ConfigError, isSchulhofError, type UserText } from "./errors.ts";
export { loadYamlConfig, parseConfig, configErrorFrom, DbConfigSchema, ListenSchema } from "./config.ts";
export type { Db, DbConfig, Queryable, QueryResult } from "./db/db.ts";
export { openDb } from "./db/open.ts";
export { openPglite } from "./db/pglite.ts";
export { openPostgres } from "./db/postgres.ts";
export { migrate, type Migration } from "./db/migrate.ts";
export { Dispatcher, RetryableError, PermanentError, type EventHandler } from "./intake/dispatcher.ts";
export { INBOX_MIGRATIONS, storeTransaction, countPending, type MatrixEvent } from "./intake/inbox.ts";
export { transactionRouter } from "./intake/transactions.ts";
export { createLogger, type Logger } from "./log.ts";
export { createMetrics, type CoreMetrics } from "./metrics.ts";
export { AppserviceMatrix, asIntakeError, isForbidden, txnIdFor, type AppserviceIdentity, type MatrixPort } from "./matrix/client.ts";
export { SynapseAdmin, SynapseAdminError, registerWithSharedSecret, type AdminUserUpdate } from "./matrix/synapse-admin.ts";
export { startAppservice, type AppserviceContext, type AppserviceDefinition, type AppserviceHandlers, type RunningAppservice, type RuntimeConfig } from "./runtime.ts";
export { userId, roomId, localUserId, localpartOf, serverOf, type UserId, type RoomId, type EventId } from "./ids.ts";
