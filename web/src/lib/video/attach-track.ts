// A Svelte attachment that plays a LiveKit track in a <video> or <audio> element while the element exists.
import type { Attachment } from "svelte/attachments";
import type { AttachableTrack } from "./types.ts";

/** One attachment per track: Svelte re-runs an attachment only when the function changes, not on every snapshot. */
const attachments = new WeakMap<AttachableTrack, Attachment<HTMLMediaElement>>();

/** `<video {@attach playTrack(track)}>`: attaches on mount, detaches when the element goes or shows another track. */
export function playTrack(track: AttachableTrack): Attachment<HTMLMediaElement> {
  let attachment = attachments.get(track);
  if (attachment === undefined) {
    attachment = (element) => {
      track.attach(element);
      return () => {
        track.detach(element);
      };
    };
    attachments.set(track, attachment);
  }
  return attachment;
}
