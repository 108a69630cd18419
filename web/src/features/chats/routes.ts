// The Chats section's pages; the client's route table (src/routes.ts) includes them.
import type { RouteDef } from "../../routes.ts";
import ChatsPage from "./ChatsPage.svelte";

export const routes: readonly RouteDef[] = [
  { pattern: "/chats", component: ChatsPage, section: "chats" },
  { pattern: "/chats/:roomId", component: ChatsPage, section: "chats" },
];
