package dev.baton.app.bench;

import dev.baton.render.InteropCapabilities;
import dev.baton.render.SyncTier;
import dev.baton.render.SyncTierSelector;
import dev.baton.render.vk.DeviceSelector;
import dev.baton.render.vk.PhysicalDeviceInfo;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;

/**
 * Which devices the bench runs and what on each, decided from what each device reports (never from
 * its name): a pure function of the device descriptions, so it is tested without a GPU.
 *
 * <p>Devices are ordered hardware first (not a CPU driver), then the device whose UUIDs match the GL
 * renderer's (the one the demo uses by default), then by index; the first is the primary device, which
 * also runs the heavier scenarios (pipelined, fan-out, fan-in) on its best tier. Every device runs its
 * same-device pairs (two VkDevices) once per sync tier it offers; every pair of devices runs once with
 * the tier the selector picks for it (host copy between different drivers today).
 *
 * <p>Beside those: a host-memory ping-pong on every device whose two VkDevices can both import host
 * memory ({@code VK_EXT_external_memory_host}; a pair of different drivers that both can gets it as its
 * cross-device tier already), and a Vulkan -> GL pair on every device for which a GL renderer is
 * reachable, with the tier the selector picks between the device and that GL context. Rows that
 * cannot run are listed in {@link #notRun} with the capability that is missing.
 */
final class BenchPlan {
    /** Same-device tiers tried, best first; host copy is never chosen between two devices of one driver. */
    private static final List<SyncTier> SAME_DEVICE_TIERS = List.of(SyncTier.SHARED_TIMELINE, SyncTier.BINARY_SEMAPHORE, SyncTier.HOST_BRIDGE);

    /** One device that takes part, with the tiers two VkDevices on it can use, best first. */
    record Device(PhysicalDeviceInfo info, List<SyncTier> tiers, boolean sharesGl) {
        String label() {
            return DeviceSelector.label(info);
        }

        /** Device name, driver and its version, and type: what every row of this device refers to. */
        String description() {
            return info.name() + ", " + DeviceSelector.driverVersion(info) + ", Vulkan " + info.apiVersionString() + " ("
                    + info.deviceTypeString() + ")";
        }

        SyncTier best() {
            return tiers.get(0);
        }

        boolean offers(SyncTier tier) {
            return tiers.contains(tier);
        }
    }

    /** Two different devices and the tier chosen between them ({@code a} allocates). */
    record Cross(Device a, Device b, SyncTier tier, String reason) {}

    /** A Vulkan device (allocating, producer) and the GL renderer reachable for it, with the tier the selector picks. */
    record GlPair(Device device, InteropCapabilities gl, SyncTier tier, String reason) {}

    final List<Device> devices;
    final List<Cross> crosses;
    /** A device that does not take part, and why (one line each). */
    final List<String> excluded;
    /** Devices whose two VkDevices both import host memory: each runs a host-memory ping-pong. */
    final List<Device> hostMemory;
    /** One Vulkan -> GL pair per device with a GL renderer reachable. */
    final List<GlPair> glPairs;
    /** A row of the two above that does not run, and the capability it lacks (one line each). */
    final List<String> notRun;

    private BenchPlan(List<Device> devices, List<Cross> crosses, List<String> excluded, List<Device> hostMemory, List<GlPair> glPairs,
                      List<String> notRun) {
        this.devices = List.copyOf(devices);
        this.crosses = List.copyOf(crosses);
        this.excluded = List.copyOf(excluded);
        this.hostMemory = List.copyOf(hostMemory);
        this.glPairs = List.copyOf(glPairs);
        this.notRun = List.copyOf(notRun);
    }

    /** The device that runs the heavier scenarios, or null when none takes part. */
    Device primary() {
        return devices.isEmpty() ? null : devices.get(0);
    }

    /**
     * @param all          every physical device, in enumeration order
     * @param rejections   per device (same order), why a bench device cannot be built on it, or null
     * @param deviceNames  the {@code --device} list (comma-separated names for {@link DeviceSelector#all}), or null for all
     * @param gl           the GL renderer's capabilities (for the UUID match), or null without GL
     * @throws IllegalArgumentException when a name in {@code deviceNames} fits no device or several
     */
    static BenchPlan of(List<PhysicalDeviceInfo> all, List<String> rejections, String deviceNames, InteropCapabilities gl) {
        return of(all, rejections, deviceNames, gl, d -> gl, d -> "no GL renderer");
    }

    /**
     * Like {@link #of(List, List, String, InteropCapabilities)}, with the GL renderer reachable for each
     * device (the EGL device with its UUIDs where there is one, else the one EGL gives): the Vulkan -> GL
     * pairs are planned with it.
     *
     * @param glFor     the GL capabilities reachable for a device, or null when none is
     * @param glMissing why no GL renderer is reachable for a device for which {@code glFor} gave null
     */
    static BenchPlan of(List<PhysicalDeviceInfo> all, List<String> rejections, String deviceNames, InteropCapabilities gl,
                        Function<PhysicalDeviceInfo, InteropCapabilities> glFor, Function<PhysicalDeviceInfo, String> glMissing) {
        List<PhysicalDeviceInfo> named = deviceNames == null ? all : DeviceSelector.all(all, deviceNames);
        List<String> excluded = new ArrayList<>();
        List<Device> devices = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            PhysicalDeviceInfo d = all.get(i);
            String rejection = rejections.get(i);
            if (!named.contains(d)) {
                excluded.add(DeviceSelector.label(d) + " (" + d.name() + "): not named by --device");
            } else if (rejection != null) {
                excluded.add(DeviceSelector.label(d) + " (" + d.name() + "): " + rejection);
            } else {
                List<SyncTier> tiers = tiersOffered(d.capabilities("a"), d.capabilities("b"), SAME_DEVICE_TIERS);
                if (tiers.isEmpty()) {
                    excluded.add(DeviceSelector.label(d) + " (" + d.name() + "): two devices on it cannot share memory");
                } else {
                    devices.add(new Device(d, tiers, gl != null && d.driverUuidHex().equals(gl.driverUuid())
                            && d.deviceUuidHex().equals(gl.deviceUuid())));
                }
            }
        }
        devices.sort(Comparator.comparing((Device d) -> DeviceSelector.isCpuDriver(d.info())).thenComparing(d -> !d.sharesGl())
                .thenComparingInt(d -> d.info().index()));
        List<Cross> crosses = new ArrayList<>();
        for (int i = 0; i < devices.size(); i++) {
            for (int j = i + 1; j < devices.size(); j++) {
                Device a = devices.get(i);
                Device b = devices.get(j);
                SyncTierSelector.Choice c = SyncTierSelector.choose(a.info().capabilities(a.label()), b.info().capabilities(b.label()));
                crosses.add(new Cross(a, b, c.tier(), c.reason()));
            }
        }
        List<Device> hostMemory = new ArrayList<>();
        List<GlPair> glPairs = new ArrayList<>();
        List<String> notRun = new ArrayList<>();
        for (Device d : devices) {
            String two = d.label() + " x2";
            try {
                SyncTierSelector.choose(List.of(d.info().capabilities(d.label() + "#a"), d.info().capabilities(d.label() + "#b")),
                        SyncTier.HOST_MEMORY.id());
                hostMemory.add(d);
            } catch (IllegalArgumentException e) {
                notRun.add("host-memory ping-pong on " + two + ": " + d.info().name() + " does not import host memory for a linear RGBA8"
                        + " image (VK_EXT_external_memory_host)");
            }
        }
        for (Cross c : crosses) {
            if (c.tier() == SyncTier.HOST_COPY) {
                notRun.add("host-memory " + c.a().label() + "<->" + c.b().label() + ": the selector copies instead (" + c.reason() + ")");
            }
        }
        for (Device d : devices) {
            InteropCapabilities g = glFor.apply(d.info());
            if (g == null) {
                notRun.add("Vulkan -> GL pair " + d.label() + ": " + glMissing.apply(d.info()));
                continue;
            }
            SyncTierSelector.Choice c = SyncTierSelector.choose(List.of(d.info().capabilities(d.label()), g), null);
            glPairs.add(new GlPair(d, g, c.tier(), c.reason()));
        }
        return new BenchPlan(devices, crosses, excluded, hostMemory, glPairs, notRun);
    }

    /**
     * The tiers of {@code candidates} a surface between {@code a} and {@code b} can use, in the given
     * order, as the selector judges a requested tier (it refuses one a pair cannot use).
     */
    static List<SyncTier> tiersOffered(InteropCapabilities a, InteropCapabilities b, List<SyncTier> candidates) {
        List<SyncTier> offered = new ArrayList<>();
        for (SyncTier tier : candidates) {
            try {
                SyncTierSelector.choose(List.of(a, b), tier.id());
                offered.add(tier);
            } catch (IllegalArgumentException e) {
                // this pair cannot use the tier
            }
        }
        return offered;
    }
}
