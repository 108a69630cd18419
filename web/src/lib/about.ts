// The facts the About footer shows, set at build time by vite.config.ts (`define`).
declare const __SCHULHOF_COMMIT__: string;
declare const __SCHULHOF_SOURCE_URL__: string;

/** The commit the client was built from. */
export const BUILD_COMMIT: string = typeof __SCHULHOF_COMMIT__ === "string" ? __SCHULHOF_COMMIT__ : "unknown";
/** Where the source of this version is: the configured address, or the archive built into the client. */
export const SOURCE_URL: string = typeof __SCHULHOF_SOURCE_URL__ === "string" ? __SCHULHOF_SOURCE_URL__ : "/source/";
