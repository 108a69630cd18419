// The files a reply or a new mail takes along: chosen, checked against the bridge's limits, uploaded one after another with progress.
import type { MatrixClient } from "matrix-js-sdk";
import { log } from "../../lib/log.ts";
import type { AttachmentRef } from "./mail-api.ts";
import { uploadFile } from "./media.ts";

/** One chosen file, how far its upload is, and where it went. */
export interface ChosenFile {
  key: number;
  file: File;
  /** 0–100 while or after uploading; null before. */
  percent: number | null;
  failed: boolean;
  /** Set once uploaded: a second try of the mail does not upload it again. */
  uploaded: AttachmentRef | null;
}

let nextKey = 1;

/** Created by a form; the FilePicker shows and edits it, the form calls `uploadAll` before it sends the mail. */
export class AttachmentQueue {
  files = $state<ChosenFile[]>([]);
  /** Index (0-based) of the file being uploaded, or null. */
  current = $state<number | null>(null);

  add(list: FileList | readonly File[]): void {
    this.files = [...this.files, ...[...list].map((file) => ({ key: nextKey++, file, percent: null, failed: false, uploaded: null }))];
  }

  remove(key: number): void {
    this.files = this.files.filter((f) => f.key !== key);
  }

  clear(): void {
    this.files = [];
    this.current = null;
  }

  /**
   * Uploads every file not uploaded yet, in order, and answers all of them for the mail; null when one failed (it
   * stays listed, marked, and the next try uploads only what is missing).
   */
  async uploadAll(client: MatrixClient): Promise<AttachmentRef[] | null> {
    let ok = true;
    for (const [index, chosen] of this.files.entries()) {
      if (chosen.uploaded !== null) continue;
      this.current = index;
      chosen.percent = 0;
      chosen.failed = false;
      try {
        chosen.uploaded = await uploadFile(client, chosen.file, (p) => {
          chosen.percent = p.total > 0 ? Math.min(100, Math.round((p.loaded / p.total) * 100)) : 0;
        });
      } catch (e) {
        log.warn("attachment upload failed", e);
        chosen.failed = true;
        ok = false;
      }
    }
    this.current = null;
    return ok ? this.files.map((f) => f.uploaded).filter((u): u is AttachmentRef => u !== null) : null;
  }
}
