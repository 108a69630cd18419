// Files of the homeserver's media repository: authenticated downloads as blob URLs, and uploads with progress.
import type { MatrixClient, UploadProgress } from "matrix-js-sdk";
import { isMxcUrl, type UploadedFile } from "./message-content.ts";

/** Blob URLs of fetched media, so that a page shown again does not load them again. Oldest entries are dropped. */
const cache = new Map<string, Promise<string>>();
const CACHE_LIMIT = 300;

/** How the media repository answers unauthenticated requests since Matrix 1.11: only with the user's token. */
async function fetchAuthenticated(client: MatrixClient, url: string): Promise<Blob> {
  const token = client.getAccessToken();
  const response = await fetch(url, { headers: token === null ? {} : { authorization: `Bearer ${token}` } });
  if (!response.ok) throw new Error(`media: HTTP ${response.status}`);
  return response.blob();
}

/**
 * A blob URL for an image of the room (a thumbnail of at most `width`×`height`, else the file itself).
 * The URL stays valid while it is in the cache; the result may be used in `<img src>` only (never as a link).
 */
export function imageUrl(client: MatrixClient, mxcUrl: string, width: number, height: number): Promise<string> {
  if (!isMxcUrl(mxcUrl)) return Promise.reject(new Error("not an mxc URL"));
  const key = `${mxcUrl}@${width}x${height}`;
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const load = async (): Promise<string> => {
    const thumbnail = client.mxcUrlToHttp(mxcUrl, width, height, "scale", false, true, true);
    const full = client.mxcUrlToHttp(mxcUrl, undefined, undefined, undefined, false, true, true);
    let blob: Blob;
    try {
      if (thumbnail === null) throw new Error("no thumbnail URL");
      blob = await fetchAuthenticated(client, thumbnail);
    } catch {
      // Some formats (SVG, …) have no thumbnails: the file itself is shown.
      if (full === null) throw new Error("no media URL");
      blob = await fetchAuthenticated(client, full);
    }
    return URL.createObjectURL(blob);
  };
  const promise = load();
  promise.catch(() => cache.delete(key));
  cache.set(key, promise);
  while (cache.size > CACHE_LIMIT) {
    const [oldest, url] = cache.entries().next().value as [string, Promise<string>];
    cache.delete(oldest);
    void url.then((u) => URL.revokeObjectURL(u), () => undefined);
  }
  return promise;
}

/**
 * Downloads a file of the room and hands it to the browser as a download named `name`. The blob is typed as
 * octet-stream, so the browser saves it and never shows it as a page of this origin.
 */
export async function downloadFile(client: MatrixClient, mxcUrl: string, name: string): Promise<void> {
  if (!isMxcUrl(mxcUrl)) throw new Error("not an mxc URL");
  const url = client.mxcUrlToHttp(mxcUrl, undefined, undefined, undefined, false, true, true);
  if (url === null) throw new Error("no media URL");
  const blob = await fetchAuthenticated(client, url);
  const safe = new Blob([blob], { type: "application/octet-stream" });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(safe);
  link.download = name.replace(/[/\\]/g, "_") || "datei";
  link.rel = "noopener";
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
}

/** The largest upload the homeserver accepts, in bytes, or null when it does not say. Asked once per client. */
const limits = new WeakMap<MatrixClient, Promise<number | null>>();
export function uploadLimit(client: MatrixClient): Promise<number | null> {
  let limit = limits.get(client);
  if (limit === undefined) {
    limit = client.getMediaConfig(true).then(
      (config) => (typeof config["m.upload.size"] === "number" ? config["m.upload.size"] : null),
      () => null,
    );
    limits.set(client, limit);
  }
  return limit;
}

/** Width and height of an image file, when the browser can read it. */
async function imageSize(file: File): Promise<{ width: number; height: number } | null> {
  if (!file.type.startsWith("image/") || typeof createImageBitmap !== "function") return null;
  try {
    const bitmap = await createImageBitmap(file);
    const size = { width: bitmap.width, height: bitmap.height };
    bitmap.close();
    return size;
  } catch {
    return null;
  }
}

/** Uploads a file to the media repository, reporting progress; aborting `abortController` cancels it. */
export async function uploadFile(client: MatrixClient, file: File, onProgress: (p: UploadProgress) => void, abortController: AbortController): Promise<UploadedFile> {
  const size = await imageSize(file);
  const mimetype = file.type === "" ? "application/octet-stream" : file.type;
  const { content_uri: mxcUrl } = await client.uploadContent(file, { name: file.name, type: mimetype, progressHandler: onProgress, abortController });
  return { name: file.name, mimetype, size: file.size, mxcUrl, ...(size === null ? {} : size) };
}
