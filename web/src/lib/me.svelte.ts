// Who the signed-in person is at school (GET /_schulhof/school/v1/me), loaded once per session and shared by the
// navigation (the admin entry), the first-login password change and the pages.
import { apiClients, unwrap } from "./api/index.ts";
import type { components } from "./api/generated/school.ts";
import { log } from "./log.ts";
import type { MatrixConnection } from "./matrix/connection.svelte.ts";

export type Me = components["schemas"]["Me"];

class MeState {
  value = $state.raw<Me | null>(null);
  /** The school API did not answer (the page still works; admin-only parts stay hidden). */
  failed = $state(false);
}

const perConnection = new WeakMap<MatrixConnection, MeState>();

/** The person of `matrix`'s session; starts loading on first use. */
export function meFor(matrix: MatrixConnection): MeState {
  let state = perConnection.get(matrix);
  if (state === undefined) {
    const created = new MeState();
    state = created;
    perConnection.set(matrix, created);
    void reloadMe(matrix);
  }
  return state;
}

/** Reads `/me` again (after the password change). */
export async function reloadMe(matrix: MatrixConnection): Promise<void> {
  const state = perConnection.get(matrix);
  if (state === undefined) return;
  try {
    state.value = unwrap(await apiClients().school.GET("/me"));
    state.failed = false;
  } catch (e) {
    log.warn("GET /me failed", e);
    state.failed = true;
  }
}
