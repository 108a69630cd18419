// Attachments: upload to the homeserver's media repository with progress (the bridge mails them); download with the session.
import type { MatrixClient } from "matrix-js-sdk";
import { ApiError } from "../../lib/errors.ts";
import type { AttachmentRef } from "./mail-api.ts";

/** How far one upload is, for a progress bar. */
export interface UploadProgress {
  loaded: number;
  total: number;
}

/**
 * Uploads `file` to the homeserver's media repository and answers what a mail names it by; the bridge downloads it
 * from there and mails it with the text. `onProgress` is called while the bytes go out. Rejects when the upload fails.
 */
export async function uploadFile(client: MatrixClient, file: File, onProgress: (p: UploadProgress) => void): Promise<AttachmentRef> {
  const type = file.type === "" ? "application/octet-stream" : file.type;
  const { content_uri: mxc } = await client.uploadContent(file, {
    name: file.name,
    type,
    includeFilename: true,
    progressHandler: (p) => onProgress({ loaded: p.loaded, total: p.total > 0 ? p.total : file.size }),
  });
  onProgress({ loaded: file.size, total: file.size });
  return { mxc, name: file.name === "" ? "anhang" : file.name, type, size: file.size };
}

/** Fetches an attachment from the media repository with the user's access token (authenticated media). */
export async function downloadMedia(client: MatrixClient, mxc: string): Promise<Blob> {
  const url = client.mxcUrlToHttp(mxc, undefined, undefined, undefined, false, true, true);
  if (url === null) throw new ApiError(400, "M_UNKNOWN", null);
  const response = await fetch(url, { headers: { authorization: `Bearer ${client.getAccessToken() ?? ""}` } });
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { errcode?: unknown; error?: unknown };
    throw new ApiError(response.status, typeof body.errcode === "string" ? body.errcode : "M_UNKNOWN", typeof body.error === "string" ? body.error : null);
  }
  return response.blob();
}

/**
 * Hands a blob to the browser as a download named `fileName`. The name is untrusted: only its last path part is
 * used, and the browser cleans it further. The object URL is revoked afterwards.
 */
export function saveBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = fileName.split(/[\\/]/).pop()?.trim() || "download";
  a.rel = "noopener";
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
