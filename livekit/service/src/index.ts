// The district's video token service (MSC4195) for the central LiveKit, and LiveKit config generation.
export { startVideoService, videoServiceApp, type RunningVideoService } from "./app.ts";
export { VideoServiceConfigSchema, type VideoServiceConfig } from "./config.ts";
export * as token from "./token/index.ts";
export { devConfig, productionConfig, randomKeys } from "./config/livekit-config.ts";
