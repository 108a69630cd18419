// A student's status for one assignment, as schools know it (IServ: Neu, Begonnen, Erledigt, Überfällig, Vergangen).
import { toMillis } from "./deadlines.ts";

export type TodoStatus = "new" | "started" | "submitted" | "overdue" | "past";

export const STATUS_TEXT: Record<"de" | "en", Record<TodoStatus, string>> = {
  de: { new: "neu", started: "begonnen", submitted: "abgegeben", overdue: "überfällig", past: "vergangen" },
  en: { new: "new", started: "started", submitted: "submitted", overdue: "overdue", past: "past" },
};

/** What is known of one student and one assignment. */
export interface StatusInput {
  now: number;
  due: string;
  cutoff: string | null;
  closed: boolean;
  submitted: boolean;
  started: boolean;
}

/**
 * `submitted` once there is a submission; before the due date `started` or `new`; after it,
 * `overdue` while a late submission is still accepted (until the cut-off, or indefinitely without
 * one), and `past` when nothing is accepted any more (after the cut-off, or the assignment closed).
 */
export function todoStatus(s: StatusInput): TodoStatus {
  if (s.submitted) return "submitted";
  const due = toMillis(s.due);
  const cutoff = s.cutoff === null ? null : toMillis(s.cutoff);
  if (s.closed || (cutoff !== null && s.now > cutoff)) return "past";
  if (s.now > due) return "overdue";
  return s.started ? "started" : "new";
}
