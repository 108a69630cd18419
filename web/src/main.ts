// Entry point: global styles, language and theme on <html>, the hash router, then the app.
import { mount } from "svelte";
import App from "./App.svelte";
import "./app.css";
import { applyLocaleToDocument } from "./lib/i18n/index.svelte.ts";
import { startRouter } from "./lib/router.svelte.ts";
import { initTheme } from "./lib/theme.svelte.ts";

applyLocaleToDocument();
initTheme();
startRouter();

const target = document.getElementById("app");
if (target === null) throw new Error("#app is missing in index.html");
export default mount(App, { target });
