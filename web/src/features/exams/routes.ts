// The Klausuren section's pages; the client's route table (src/routes.ts) includes them.
import type { RouteDef } from "../../routes.ts";
import ComingSoonPage from "../../pages/ComingSoonPage.svelte";

export const routes: readonly RouteDef[] = [{ pattern: "/exams", component: ComingSoonPage, section: "exams" }];
