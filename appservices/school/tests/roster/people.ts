// Builders of roster rows and known people for the roster tests.
import { personKey } from "../../src/roster/index.ts";
import type { CurrentPerson, RosterPerson } from "../../src/roster/index.ts";

/** A valid roster row (a student of `className` unless `over` says otherwise). */
export function rosterPerson(className: string, over: Partial<RosterPerson> & Pick<RosterPerson, "firstName" | "lastName">): RosterPerson {
  return { line: 2, externalId: null, role: "student", className, courses: [], email: null, ...over };
}

/** The person the school already knows for row `p`, active unless `over` says otherwise. */
export function current(p: RosterPerson, over: Partial<CurrentPerson> = {}): CurrentPerson {
  return {
    key: personKey(p),
    userId: `@${p.firstName.toLowerCase()}.${p.lastName.toLowerCase()}:schule.example`,
    role: p.role,
    className: p.className,
    courses: p.courses,
    active: true,
    displayName: `${p.firstName} ${p.lastName}`,
    ...over,
  };
}
