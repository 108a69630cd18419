// Texts of the Klausuren section, German (default) and English; merged into the client's dictionaries.
export const de = {} as const;

export const en: Record<keyof typeof de, string> = {};
