// Public surface of @schulhof/test for benchmarks: the parts of the harness that start real components.
export { startPostgres, postgresBinDir, type TestPostgres } from "./harness/postgres.ts";
export { freePort, freePortRange, waitForHttp } from "./harness/ports.ts";
export { startDistrict, type TestDistrict, type DistrictUser } from "./harness/district.ts";
