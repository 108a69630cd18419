// What the global test setup started, shared with the test files through a JSON file named in SCHULHOF_TEST_ENV.
import { readFileSync } from "node:fs";

/** The running test stack (one Synapse, one PostgreSQL, the school appservice) and how to reach it. */
export interface TestEnv {
  synapseUrl: string;
  serverName: string;
  dataDir: string;
  pgUrl: string;
  /** Server-admin token (user admin API). */
  adminToken: string;
  /** The school appservice's admin API and its token. */
  schoolApiUrl: string;
  adminApiToken: string;
  schoolName: string;
  /** The homework appservice (its API under /_schulhof/homework/v1). */
  homeworkUrl: string;
  /** The calendar appservice (its API under /_schulhof/calendar/v1, feeds under …/feed/). */
  calendarUrl: string;
  /** The video token service (MSC4195) and the livekit-server behind it. */
  videoUrl: string;
  /** The web client (built web/dist) with the school's `.well-known` and `/_schulhof/<service>/…` forwarded. */
  webUrl: string;
  /** The school's secret for the token service's membership questions. */
  videoSecret: string;
  livekit: { url: string; httpUrl: string; apiKey: string; apiSecret: string };
  /** A second homework appservice (own bot `@_hwtest`) that the restart test starts and kills itself. */
  homeworkRestart: { port: number; asToken: string; hsToken: string; dbUrl: string; botUserId: string };
  sessionSecret: string;
  /** The counter fixture appservice, which durability tests start and kill themselves. */
  counter: { port: number; asToken: string; hsToken: string; dbUrl: string; botUserId: string };
}

let cached: TestEnv | null = null;

/** The test stack; throws when the tests run without the global setup (`npm test` provides it). */
export function testEnv(): TestEnv {
  if (cached !== null) return cached;
  const file = process.env.SCHULHOF_TEST_ENV;
  if (file === undefined || file === "") throw new Error("SCHULHOF_TEST_ENV is not set: run the integration tests through npm test");
  cached = JSON.parse(readFileSync(file, "utf8")) as TestEnv;
  return cached;
}
