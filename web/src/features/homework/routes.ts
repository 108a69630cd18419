// The Aufgaben section's pages; the client's route table (src/routes.ts) includes them. More specific paths first.
import type { RouteDef } from "../../routes.ts";
import AssignmentFormPage from "./AssignmentFormPage.svelte";
import AssignmentPage from "./AssignmentPage.svelte";
import HomeworkPage from "./HomeworkPage.svelte";
import SubmissionPage from "./SubmissionPage.svelte";

export const routes: readonly RouteDef[] = [
  { pattern: "/homework", component: HomeworkPage, section: "homework" },
  { pattern: "/homework/course/:course/new", component: AssignmentFormPage, section: "homework" },
  { pattern: "/homework/course/:course/draft/:draft", component: AssignmentFormPage, section: "homework" },
  { pattern: "/homework/course/:course/assignment/:id", component: AssignmentPage, section: "homework" },
  { pattern: "/homework/course/:course/assignment/:id/student/:student", component: SubmissionPage, section: "homework" },
];
