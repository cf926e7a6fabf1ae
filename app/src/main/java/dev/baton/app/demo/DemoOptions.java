package dev.baton.app.demo;

import java.nio.file.Path;

/**
 * The demo's settings, parsed and range-checked by {@link DemoCommand}.
 *
 * @param producers producer render threads at start
 * @param width surface width in pixels
 * @param height surface height in pixels
 * @param fps each producer's target frame rate
 * @param frames headless: composited frames to write
 * @param out headless: output folder for PNGs and the contact sheet
 * @param headless composite on EGL surfaceless instead of a window
 * @param device physical-device name filter for producers, or null for the default choice
 * @param tier sync tier override, or null for the best available
 * @param validate run under the Khronos validation layer and fail on any message
 * @param ring surfaces per producer
 * @param acquireTimeoutNanos the longest any acquire waits
 * @param exitAfterSeconds window: close by itself after this long (0: run until closed)
 * @param screenshot window: write the window's last frame to this PNG on exit, or null
 * @param soakMinutes headless soak: run this long instead of {@code frames} (0: no soak)
 * @param killAt fault injection: after this many composites (window: frames), producer {@code faultProducer}'s
 *        device is lost while it owns a surface (-1: never)
 * @param restartAt after this many composites (window: frames), the killed producer restarts (-1: never)
 * @param faultProducer position of the producer {@code killAt} applies to
 * @param stamp producers draw the frame stamp (the bars the pixel checks read); false for a clean picture
 * @param killAfterRelease {@code killAt}'s loss comes after the victim's submit and release, reported by the next wait
 *        on its device (as hardware reports a hang), instead of failing its next submit while it owns a surface
 */
record DemoOptions(
        int producers,
        int width,
        int height,
        double fps,
        int frames,
        Path out,
        boolean headless,
        String device,
        String tier,
        boolean validate,
        int ring,
        long acquireTimeoutNanos,
        double exitAfterSeconds,
        Path screenshot,
        double soakMinutes,
        int killAt,
        int restartAt,
        int faultProducer,
        boolean stamp,
        boolean killAfterRelease) {
}
