// The Mail section's pages; the client's route table (src/routes.ts) includes them.
import type { RouteDef } from "../../routes.ts";
import ComposePage from "./ComposePage.svelte";
import ConversationPage from "./ConversationPage.svelte";
import InboxPage from "./InboxPage.svelte";

export const routes: readonly RouteDef[] = [
  { pattern: "/mail", component: InboxPage, section: "mail" },
  { pattern: "/mail/new", component: ComposePage, section: "mail" },
  { pattern: "/mail/:roomId", component: ConversationPage, section: "mail" },
];
