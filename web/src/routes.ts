// The pages of the client: hash path pattern → page component, and the navigation entries. Add new pages here.
import type { Component } from "svelte";
import type { MessageKey } from "./lib/i18n/index.svelte.ts";
import CallPage from "./pages/CallPage.svelte";
import TodayPage from "./pages/TodayPage.svelte";
import VideoListPage from "./pages/VideoListPage.svelte";
import { routes as adminRoutes } from "./features/admin/routes.ts";
import { routes as calendarRoutes } from "./features/calendar/routes.ts";
import { routes as chatsRoutes } from "./features/chats/routes.ts";
import { routes as examsRoutes } from "./features/exams/routes.ts";
import { routes as homeworkRoutes } from "./features/homework/routes.ts";
import { routes as mailRoutes } from "./features/mail/routes.ts";

/** What every page component receives. */
export interface PageProps {
  /** The decoded `:name` segments of the path. */
  params: Record<string, string>;
  /** The page's title (the navigation label of its section). */
  titleKey: MessageKey;
}

/** The sections of the navigation, in order. */
export type Section = "today" | "chats" | "homework" | "calendar" | "exams" | "mail" | "video" | "admin";

export interface RouteDef {
  /** `/video`, `/call/:roomId`; matched with `matchPath`. */
  pattern: string;
  component: Component<PageProps>;
  /** The navigation entry this page belongs to (highlighted while it shows). */
  section: Section;
}

/** The navigation: one entry per section, with its start path and label. */
export const NAVIGATION: readonly { section: Section; path: string; labelKey: MessageKey }[] = [
  { section: "today", path: "/", labelKey: "nav.today" },
  { section: "chats", path: "/chats", labelKey: "nav.chats" },
  { section: "homework", path: "/homework", labelKey: "nav.homework" },
  { section: "calendar", path: "/calendar", labelKey: "nav.calendar" },
  { section: "exams", path: "/exams", labelKey: "nav.exams" },
  { section: "mail", path: "/mail", labelKey: "nav.mail" },
  { section: "video", path: "/video", labelKey: "nav.video" },
  { section: "admin", path: "/admin", labelKey: "nav.admin" },
];

/** Every page; the first match wins. Each section keeps its pages in `features/<section>/routes.ts`. */
export const ROUTES: readonly RouteDef[] = [
  { pattern: "/", component: TodayPage, section: "today" },
  ...chatsRoutes,
  ...homeworkRoutes,
  ...calendarRoutes,
  ...examsRoutes,
  ...mailRoutes,
  { pattern: "/video", component: VideoListPage, section: "video" },
  { pattern: "/call/:roomId", component: CallPage, section: "video" },
  ...adminRoutes,
];
