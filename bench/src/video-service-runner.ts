// Runs the video token service alone in a child process for the video benchmark, so its CPU and event loop are its own.
// The parent sends the config over IPC (it holds secrets) and gets back `{port}`; the service stops when the parent goes.
import { createLogger } from "@schulhof/core";
import { startVideoService, VideoServiceConfigSchema } from "@schulhof/video";

const send = process.send?.bind(process);
if (send === undefined) throw new Error("video-service-runner.ts is started by bench/src/video.ts with an IPC channel");

process.once("message", (message: unknown) => {
  void (async () => {
    const config = VideoServiceConfigSchema.parse(message);
    const running = await startVideoService(config, createLogger("video"));
    const stop = (): void => void running.stop().finally(() => process.exit(0));
    process.once("SIGTERM", stop);
    process.once("disconnect", stop);
    send({ port: running.port });
  })().catch((e: unknown) => {
    process.stderr.write(`video service runner: ${String((e as Error).stack ?? e)}\n`);
    process.exit(1);
  });
});
