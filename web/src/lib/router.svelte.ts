// A small hash router: `#/video`, `#/call/<room id>`; patterns with `:name` segments, parameters URL-decoded.

/** The current path (the part after `#`, always starting with `/`). */
class RouterState {
  path = $state(pathOfHash(location.hash));
}

export const router = new RouterState();

function pathOfHash(hash: string): string {
  const path = hash.replace(/^#/, "");
  return path.startsWith("/") ? path : "/";
}

/** Starts following `hashchange`; called once at start. */
export function startRouter(): void {
  window.addEventListener("hashchange", () => {
    router.path = pathOfHash(location.hash);
  });
}

/** The link for a path, with each parameter encoded: `href("/call", roomId)` → `#/call/%21abc%3Aserver`. */
export function href(base: string, ...params: string[]): string {
  return `#${base}${params.map((p) => `/${encodeURIComponent(p)}`).join("")}`;
}

/** Goes to a path (adds a history entry). */
export function navigate(base: string, ...params: string[]): void {
  location.hash = href(base, ...params);
}

/**
 * Matches a pattern such as `/call/:roomId` against a path; answers the decoded parameters, or null.
 * A segment that does not decode counts as no match.
 */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split("/").filter((s) => s !== "");
  const have = path.split("?")[0]!.split("/").filter((s) => s !== "");
  if (want.length !== have.length) return null;
  const params: Record<string, string> = {};
  for (const [i, segment] of want.entries()) {
    const actual = have[i]!;
    if (segment.startsWith(":")) {
      try {
        params[segment.slice(1)] = decodeURIComponent(actual);
      } catch {
        return null;
      }
    } else if (segment !== actual) {
      return null;
    }
  }
  return params;
}
