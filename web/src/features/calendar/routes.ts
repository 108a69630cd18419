// The Kalender section's pages; the client's route table (src/routes.ts) includes them.
import type { RouteDef } from "../../routes.ts";
import CalendarPage from "./CalendarPage.svelte";
import EventFormPage from "./EventFormPage.svelte";
import EventPage from "./EventPage.svelte";
import FeedPage from "./FeedPage.svelte";

export const routes: readonly RouteDef[] = [
  { pattern: "/calendar", component: CalendarPage, section: "calendar" },
  { pattern: "/calendar/new", component: EventFormPage, section: "calendar" },
  { pattern: "/calendar/abo", component: FeedPage, section: "calendar" },
  { pattern: "/calendar/edit/:room/:uid", component: EventFormPage, section: "calendar" },
  { pattern: "/calendar/event/:room/:uid", component: EventPage, section: "calendar" },
];
