// Public surface of @schulhof/cli for other packages (the test harness and benchmarks start the host the same way).
export { startHost, dbFor, homeserverUrlOf, schoolAppserviceConfigOf, webApisOf } from "./host.ts";
export { importViaApi, writeLogins, schoolApiUrl, type ImportCliOptions } from "./roster.ts";
export { startDemoOutbox } from "./demo/outbox.ts";
