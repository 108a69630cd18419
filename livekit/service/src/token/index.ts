// The token half of the video service: request bodies, LiveKit names, grants, JWTs, rate limits and refusals (pure, no network).
export {
  LEGACY_SLOT_ID,
  RtcMemberSchema,
  GetTokenRequestSchema,
  LegacySfuRequestSchema,
  normaliseGetToken,
  normaliseLegacy,
  parseTokenRequest,
  assertClaimedUser,
  type GetTokenRequest,
  type LegacySfuRequest,
  type TokenRequest,
  type TokenResponse,
  type TokenEndpoint,
} from "./requests.ts";
export { matrixRtcHash, livekitRoomName, livekitIdentity, legacyLivekitIdentity, livekitNamesFor } from "./names.ts";
export {
  VIDEO_SETTINGS_EVENT_TYPE,
  DEFAULT_TEACHER_LEVEL,
  VideoSettingsSchema,
  DEFAULT_VIDEO_SETTINGS,
  readVideoSettings,
  grantsFor,
  studentSources,
  type VideoSettings,
  type VideoRole,
  type GrantInput,
} from "./grants.ts";
export { DEFAULT_TTL_SECONDS, MAX_TTL_SECONDS, mintToken, verifyToken, type MintOptions } from "./jwt.ts";
export { RateLimiter, type RateLimiterOptions, type TakeResult } from "./ratelimit.ts";
export { VideoTokenError, VIDEO_ERROR_CODES, videoError, badJson, rateLimited, type VideoErrorKind, type VideoErrorBody } from "./errors.ts";
