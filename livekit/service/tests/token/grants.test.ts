// Grants for teachers, students and students waiting in the lobby, and reading the room's video settings.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TrackSource } from "livekit-server-sdk";
import { DEFAULT_VIDEO_SETTINGS, grantsFor, readVideoSettings, VideoSettingsSchema, type VideoSettings } from "../../src/token/index.ts";

const settings = (over: Partial<VideoSettings> = {}): VideoSettings => ({ ...DEFAULT_VIDEO_SETTINGS, ...over });

describe("video settings", () => {
  it("defaults: no lobby, no student screen share, camera and microphone allowed", () => {
    assert.deepEqual(DEFAULT_VIDEO_SETTINGS, { lobby: false, students_screen_share: false, students_camera: true, students_microphone: true });
    assert.deepEqual(VideoSettingsSchema.parse({}), DEFAULT_VIDEO_SETTINGS);
    assert.deepEqual(VideoSettingsSchema.parse({ lobby: true, other: 1 }), { ...DEFAULT_VIDEO_SETTINGS, lobby: true });
    assert.equal(VideoSettingsSchema.safeParse({ lobby: "yes" }).success, false);
  });

  it("readVideoSettings: missing fields take defaults, wrong types fail closed, never throws", () => {
    assert.deepEqual(readVideoSettings({}), DEFAULT_VIDEO_SETTINGS);
    assert.deepEqual(readVideoSettings(null), DEFAULT_VIDEO_SETTINGS);
    assert.deepEqual(readVideoSettings([true]), DEFAULT_VIDEO_SETTINGS);
    assert.deepEqual(readVideoSettings({ students_screen_share: true }), { ...DEFAULT_VIDEO_SETTINGS, students_screen_share: true });
    assert.deepEqual(readVideoSettings({ lobby: "no", students_screen_share: "yes", students_camera: 1, students_microphone: null }), {
      lobby: true,
      students_screen_share: false,
      students_camera: false,
      students_microphone: false,
    });
  });
});

describe("grantsFor", () => {
  it("teacher at power 50: admin, publishes everything, subscribes, data, own metadata", () => {
    const { grant, role } = grantsFor({ power: 50, settings: settings(), admitted: false });
    assert.equal(role, "teacher");
    assert.equal(grant.canPublishSources, undefined, "no source list: every source");
    assert.deepEqual(grant, {
      roomJoin: true,
      roomCreate: false,
      hidden: false,
      roomAdmin: true,
      canPublish: true,
      canSubscribe: true,
      canPublishData: true,
      canUpdateOwnMetadata: true,
    });
  });

  it("power 49 is a student, power 100 and room creators (1,000,000) teachers", () => {
    assert.equal(grantsFor({ power: 49, settings: settings(), admitted: false }).role, "student");
    assert.equal(grantsFor({ power: 100, settings: settings(), admitted: false }).role, "teacher");
    assert.equal(grantsFor({ power: 1_000_000, settings: settings(), admitted: false }).role, "teacher");
    assert.equal(grantsFor({ power: -1, settings: settings(), admitted: false }).role, "student");
  });

  it("teacherLevel moves the boundary", () => {
    assert.equal(grantsFor({ power: 50, settings: settings(), admitted: false, teacherLevel: 75 }).role, "student");
    assert.equal(grantsFor({ power: 75, settings: settings(), admitted: false, teacherLevel: 75 }).role, "teacher");
  });

  it("student: camera and microphone, subscribes, data, no admin, no own metadata", () => {
    const { grant, role } = grantsFor({ power: 0, settings: settings(), admitted: false });
    assert.equal(role, "student");
    assert.equal(grant.roomAdmin, undefined);
    assert.deepEqual(grant, {
      roomJoin: true,
      roomCreate: false,
      hidden: false,
      canPublish: true,
      canPublishSources: [TrackSource.CAMERA, TrackSource.MICROPHONE],
      canSubscribe: true,
      canPublishData: true,
      canUpdateOwnMetadata: false,
    });
  });

  it("student screen share only when allowed (with its audio)", () => {
    assert.deepEqual(grantsFor({ power: 49, settings: settings({ students_screen_share: true }), admitted: false }).grant.canPublishSources, [
      TrackSource.CAMERA,
      TrackSource.MICROPHONE,
      TrackSource.SCREEN_SHARE,
      TrackSource.SCREEN_SHARE_AUDIO,
    ]);
    const without = grantsFor({ power: 49, settings: settings({ students_screen_share: false }), admitted: false }).grant.canPublishSources ?? [];
    assert.ok(!without.includes(TrackSource.SCREEN_SHARE));
    assert.ok(!without.includes(TrackSource.SCREEN_SHARE_AUDIO));
  });

  it("camera or microphone off for students leaves the other", () => {
    assert.deepEqual(grantsFor({ power: 0, settings: settings({ students_camera: false }), admitted: true }).grant.canPublishSources, [TrackSource.MICROPHONE]);
    assert.deepEqual(grantsFor({ power: 0, settings: settings({ students_microphone: false }), admitted: true }).grant.canPublishSources, [TrackSource.CAMERA]);
  });

  it("nothing allowed: canPublish false and no empty source list (which LiveKit reads as 'all')", () => {
    const { grant, role } = grantsFor({ power: 0, settings: settings({ students_camera: false, students_microphone: false }), admitted: true });
    assert.equal(role, "student");
    assert.equal(grant.canPublish, false);
    assert.equal("canPublishSources" in grant, false);
    assert.equal(grant.canSubscribe, true);
  });

  it("lobby, not admitted: connects and waits, visible, sees and sends nothing", () => {
    const { grant, role } = grantsFor({ power: 49, settings: settings({ lobby: true, students_screen_share: true }), admitted: false });
    assert.equal(role, "waiting");
    assert.deepEqual(grant, {
      roomJoin: true,
      roomCreate: false,
      hidden: false,
      canPublish: false,
      canSubscribe: false,
      canPublishData: false,
      canUpdateOwnMetadata: false,
    });
  });

  it("lobby, admitted: an ordinary student", () => {
    const { grant, role } = grantsFor({ power: 49, settings: settings({ lobby: true }), admitted: true });
    assert.equal(role, "student");
    assert.equal(grant.canSubscribe, true);
    assert.deepEqual(grant.canPublishSources, [TrackSource.CAMERA, TrackSource.MICROPHONE]);
  });

  it("lobby does not hold back teachers", () => {
    assert.equal(grantsFor({ power: 50, settings: settings({ lobby: true }), admitted: false }).role, "teacher");
  });

  it("without a lobby 'admitted' does not matter", () => {
    assert.deepEqual(grantsFor({ power: 0, settings: settings(), admitted: false }), grantsFor({ power: 0, settings: settings(), admitted: true }));
  });

  it("never grants roomCreate or hidden", () => {
    for (const power of [0, 49, 50, 100]) {
      for (const lobby of [false, true]) {
        const { grant } = grantsFor({ power, settings: settings({ lobby }), admitted: false });
        assert.equal(grant.roomCreate, false);
        assert.equal(grant.hidden, false);
        assert.equal(grant.roomJoin, true);
      }
    }
  });
});
