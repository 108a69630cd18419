// The Verwaltung section's pages; the client's route table (src/routes.ts) includes them. Each page checks `admin` itself.
import type { RouteDef } from "../../routes.ts";
import AdminPage from "./AdminPage.svelte";
import RosterPage from "./RosterPage.svelte";
import SettingsPage from "./SettingsPage.svelte";

export const routes: readonly RouteDef[] = [
  { pattern: "/admin", component: AdminPage, section: "admin" },
  { pattern: "/admin/roster", component: RosterPage, section: "admin" },
  { pattern: "/admin/settings", component: SettingsPage, section: "admin" },
];
