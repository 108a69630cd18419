// Texts of the Chats section, German (default) and English; merged into the client's dictionaries.
export const de = {} as const;

export const en: Record<keyof typeof de, string> = {};
