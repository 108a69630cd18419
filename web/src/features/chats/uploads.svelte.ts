// Files the user is uploading into a room: progress for each, cancel, errors; a finished upload becomes a message.
import type { MatrixClient } from "matrix-js-sdk";
import { formatSize, fileContent } from "./message-content.ts";
import { chatErrorMessage } from "./errors.ts";
import { uploadFile, uploadLimit } from "./media.ts";
import { locale, t } from "../../lib/i18n/index.svelte.ts";

/** One file on its way (or refused). */
export interface Upload {
  id: number;
  name: string;
  loaded: number;
  total: number;
  /** Set when it failed or was refused: the text for the user. */
  error: string | null;
  abort: AbortController;
}

/** The uploads of one room's composer. */
export class Uploads {
  items = $state<Upload[]>([]);
  private next = 1;
  private readonly client: MatrixClient;
  private readonly send: (type: string, content: Record<string, unknown>) => void;

  /** `send` posts the finished file's message into the room. */
  constructor(client: MatrixClient, send: (type: string, content: Record<string, unknown>) => void) {
    this.client = client;
    this.send = send;
  }

  /** Uploads the files one after the other; each becomes an image or file message when done. */
  async add(files: readonly File[]): Promise<void> {
    const limit = await uploadLimit(this.client);
    const queued = files.map((file) => {
      const upload: Upload = { id: this.next++, name: file.name, loaded: 0, total: file.size, error: null, abort: new AbortController() };
      if (limit !== null && file.size > limit) upload.error = t("chats.upload_too_large", { name: file.name, max: formatSize(limit, locale.current) });
      this.items.push(upload);
      return { file, id: upload.id };
    });
    for (const { file, id } of queued) {
      const upload = this.items.find((u) => u.id === id);
      if (upload === undefined || upload.error !== null || upload.abort.signal.aborted) continue;
      try {
        const done = await uploadFile(
          this.client,
          file,
          (p) => {
            const live = this.items.find((u) => u.id === id);
            if (live === undefined) return;
            live.loaded = p.loaded;
            live.total = p.total > 0 ? p.total : file.size;
          },
          upload.abort,
        );
        this.remove(id);
        this.send("m.room.message", fileContent(done));
      } catch (e) {
        const live = this.items.find((u) => u.id === id);
        if (live === undefined || live.abort.signal.aborted) {
          this.remove(id);
          continue;
        }
        live.error = t("chats.upload_failed", { name: file.name, reason: chatErrorMessage(e) });
      }
    }
  }

  /** Stops an upload (or dismisses a failed one). */
  cancel(id: number): void {
    const upload = this.items.find((u) => u.id === id);
    if (upload === undefined) return;
    upload.abort.abort();
    this.remove(id);
  }

  private remove(id: number): void {
    const index = this.items.findIndex((u) => u.id === id);
    if (index >= 0) this.items.splice(index, 1);
  }
}
