// A stable colour per calendar (from its room id), with a light and a dark shade that stand out on both themes' backgrounds.

/**
 * Pairs of [light theme, dark theme] colours, of clearly different hues. Each light shade has at least 4.5:1 contrast on white and each dark
 * shade at least 4.5:1 on the dark background (#121417), so a stripe or dot in them is clearly visible.
 */
export const PALETTE: readonly (readonly [string, string])[] = [
  ["#1f5fa8", "#7cb6f5"],
  ["#1a7f37", "#5fd37a"],
  ["#8250df", "#c9a5ff"],
  ["#b3267a", "#f48fc6"],
  ["#a14a00", "#ffa862"],
  ["#0b7285", "#4fd0e0"],
  ["#7d6608", "#e6c547"],
  ["#c2261f", "#ff8a80"],
  ["#7a4a2a", "#d9a27a"],
];

/** The palette index of a calendar: FNV-1a of its room id, so the same calendar has the same colour everywhere. */
export function colourIndex(roomId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < roomId.length; i++) {
    hash ^= roomId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % PALETTE.length;
}

/** The inline style that gives an element the calendar's colours as `--cal-light` and `--cal-dark`. */
export function colourStyle(roomId: string): string {
  const [light, dark] = PALETTE[colourIndex(roomId)]!;
  return `--cal-light: ${light}; --cal-dark: ${dark};`;
}
