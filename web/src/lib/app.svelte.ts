// The app's lifecycle: discover the school, restore or create the session, start and stop the Matrix connection.
import { discoverSchool, type SchoolConfig } from "./discovery.ts";
import { log } from "./log.ts";
import type { MatrixConnection } from "./matrix/connection.svelte.ts";
import type * as Connection from "./matrix/connection.svelte.ts";
import type * as Login from "./matrix/login.ts";
import { clearSession, forgetDevice, loadDevice, loadSession, rememberDevice, saveSession } from "./session.ts";

/** Where the app is: finding its school, asking for a login, signed in, or unable to start. */
export type AppPhase = "discovering" | "login" | "signed-in" | "failed";

class AppState {
  phase = $state<AppPhase>("discovering");
  /** The school's configuration; set once discovery succeeded. */
  config = $state.raw<SchoolConfig | null>(null);
  /** The signed-in connection; set in phase "signed-in". */
  matrix = $state.raw<MatrixConnection | null>(null);
  /** Why the app could not start (phase "failed"). */
  startError = $state.raw<unknown>(null);
  /** Set when the server ended the session, so the login page can say why. */
  sessionExpired = $state(false);
}

/** The one app state. Pages read `app.config` and `app.matrix` (through {@link signedIn}). */
export const app = new AppState();

/** The connection and configuration of the signed-in user; throws outside phase "signed-in" (pages render only then). */
export function signedIn(): { matrix: MatrixConnection; config: SchoolConfig } {
  if (app.matrix === null || app.config === null) throw new Error("signedIn() called without a session");
  return { matrix: app.matrix, config: app.config };
}

/** Called once at start: discovery, then the stored session if there is one. */
export async function bootApp(): Promise<void> {
  try {
    app.config = await discoverSchool();
  } catch (e) {
    log.error("discovery failed", e);
    app.startError = e;
    app.phase = "failed";
    return;
  }
  const stored = loadSession();
  if (stored !== null && stored.homeserverUrl === app.config.homeserverUrl) {
    const { MatrixConnection } = await matrixModules();
    await connect(new MatrixConnection(stored));
  } else {
    if (stored !== null) clearSession();
    app.phase = "login";
    // The login form shows at once; the Matrix SDK (most of the client's code) loads while the person types.
    void matrixModules().catch((e: unknown) => log.warn("could not preload the Matrix client", e));
  }
}

/** matrix-js-sdk and what is built on it: loaded on demand, so the login form does not wait for it. */
interface MatrixModules {
  MatrixConnection: typeof Connection.MatrixConnection;
  passwordLogin: typeof Login.passwordLogin;
}
let matrixLoading: Promise<MatrixModules> | null = null;
function matrixModules(): Promise<MatrixModules> {
  matrixLoading ??= Promise.all([import("./matrix/connection.svelte.ts"), import("./matrix/login.ts")]).then(([c, l]) => ({ MatrixConnection: c.MatrixConnection, passwordLogin: l.passwordLogin }));
  // A failed load (network) may be tried again by the next login.
  matrixLoading.catch(() => (matrixLoading = null));
  return matrixLoading;
}

/** Logs in with user name and password; throws a ClientError for the login form. */
export async function logIn(userName: string, password: string): Promise<void> {
  if (app.config === null) throw new Error("logIn() before discovery");
  const { MatrixConnection, passwordLogin } = await matrixModules();
  const session = await passwordLogin(app.config.homeserverUrl, userName, password, loadDevice(app.config.homeserverUrl));
  forgetDevice();
  saveSession(session);
  app.sessionExpired = false;
  await connect(new MatrixConnection(session));
}

/** Logs out at the homeserver (best effort: it deletes the device), forgets the session and shows the login page. */
export async function logOut(): Promise<void> {
  const matrix = app.matrix;
  if (matrix !== null) {
    matrix.stop();
    await matrix.client.logout(true).catch((e: unknown) => log.warn("logout at the homeserver failed", e));
  }
  endSession(false, false);
}

async function connect(matrix: MatrixConnection): Promise<void> {
  app.matrix = matrix;
  app.phase = "signed-in";
  try {
    // Several requests may fail with the ended session: only the first ends it.
    await matrix.start(({ soft }) => {
      if (app.matrix === matrix) endSession(true, soft);
    });
  } catch (e) {
    log.error("could not start the Matrix client", e);
  }
}

/**
 * Ends the session in this browser. When the homeserver ended it softly (`soft_logout`: the token is gone, the device
 * stays), the device is remembered, so that the next login of the same person takes it again; otherwise nothing is.
 */
function endSession(expired: boolean, keepDevice: boolean): void {
  const matrix = app.matrix;
  matrix?.stop();
  if (keepDevice && matrix !== null) rememberDevice({ homeserverUrl: matrix.session.homeserverUrl, userId: matrix.session.userId, deviceId: matrix.session.deviceId });
  else forgetDevice();
  clearSession();
  app.matrix = null;
  app.sessionExpired = expired;
  app.phase = "login";
}
