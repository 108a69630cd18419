// The files a reply or a new mail takes along, and their upload progress while they are sent one after another.
import type { MatrixClient } from "matrix-js-sdk";
import { log } from "../../lib/log.ts";
import { sendAttachment } from "./media.ts";

/** One chosen file and how far its upload is. */
export interface ChosenFile {
  key: number;
  file: File;
  /** 0–100 while or after uploading; null before. */
  percent: number | null;
  failed: boolean;
}

let nextKey = 1;

/** Created by a form; the FilePicker shows and edits it, the form calls `sendAll` after the text went out. */
export class AttachmentQueue {
  files = $state<ChosenFile[]>([]);
  /** Index (0-based) of the file being uploaded, or null. */
  current = $state<number | null>(null);

  add(list: FileList | readonly File[]): void {
    this.files = [...this.files, ...[...list].map((file) => ({ key: nextKey++, file, percent: null, failed: false }))];
  }

  remove(key: number): void {
    this.files = this.files.filter((f) => f.key !== key);
  }

  clear(): void {
    this.files = [];
    this.current = null;
  }

  /** Uploads and sends every file into the room, in order; answers whether all went out. Failed ones stay listed. */
  async sendAll(client: MatrixClient, roomId: string): Promise<boolean> {
    let ok = true;
    for (const [index, chosen] of this.files.entries()) {
      this.current = index;
      chosen.percent = 0;
      chosen.failed = false;
      try {
        await sendAttachment(client, roomId, chosen.file, (p) => {
          chosen.percent = p.total > 0 ? Math.min(100, Math.round((p.loaded / p.total) * 100)) : 0;
        });
      } catch (e) {
        log.warn("attachment upload failed", e);
        chosen.failed = true;
        ok = false;
      }
    }
    this.current = null;
    if (ok) this.files = [];
    else this.files = this.files.filter((f) => f.failed);
    return ok;
  }
}
