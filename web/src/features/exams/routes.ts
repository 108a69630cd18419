// The Klausuren section's pages; the client's route table (src/routes.ts) includes them.
import type { RouteDef } from "../../routes.ts";
import ExamsPage from "./ExamsPage.svelte";

export const routes: readonly RouteDef[] = [{ pattern: "/exams", component: ExamsPage, section: "exams" }];
