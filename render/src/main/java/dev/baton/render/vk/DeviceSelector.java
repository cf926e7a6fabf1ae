package dev.baton.render.vk;

import static org.lwjgl.vulkan.VK10.VK_PHYSICAL_DEVICE_TYPE_CPU;
import static org.lwjgl.vulkan.VK12.VK_DRIVER_ID_GOOGLE_SWIFTSHADER;
import static org.lwjgl.vulkan.VK12.VK_DRIVER_ID_MESA_LLVMPIPE;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * How a user names a Vulkan device (the {@code --device} of demo and bench, and the tests), as a pure
 * function over {@link PhysicalDeviceInfo}s: no Vulkan call, so it is unit-tested without a GPU.
 *
 * <p>A name is, tried in this order: an enumeration index ({@code 0}); a label {@code ./baton devices}
 * prints ({@code vk1}, {@code vk1 lavapipe}, or the driver label {@code lavapipe}); otherwise a
 * case-insensitive substring of the device name, driver name or driver label. A number is always an
 * index, never a substring (so {@code 0} is not the {@code 0} in {@code LLVM 15.0.6}). A name that fits
 * several devices is refused with the candidates, never resolved to the first.
 */
public final class DeviceSelector {
    private static final Pattern INDEX = Pattern.compile("\\d+");
    private static final Pattern VK_INDEX = Pattern.compile("vk(\\d+)");

    private DeviceSelector() {}

    /**
     * The label {@code ./baton devices} prints, such as {@code vk1 lavapipe}.
     *
     * @param d the device
     * @return {@code vk}, its index, a space and its driver label
     */
    public static String label(PhysicalDeviceInfo d) {
        return "vk" + d.index() + " " + d.driverLabel();
    }

    /**
     * Whether the driver runs on the CPU: {@code VkPhysicalDeviceType} CPU, or a driver id of lavapipe
     * or SwiftShader (whichever type they report).
     *
     * @param d the device
     * @return whether it rasterizes on the CPU
     */
    public static boolean isCpuDriver(PhysicalDeviceInfo d) {
        return d.deviceType() == VK_PHYSICAL_DEVICE_TYPE_CPU || d.driverId() == VK_DRIVER_ID_MESA_LLVMPIPE
                || d.driverId() == VK_DRIVER_ID_GOOGLE_SWIFTSHADER;
    }

    /**
     * The driver and its version in one phrase, such as {@code llvmpipe Mesa 22.3.6 (LLVM 15.0.6)}; the
     * packed driver version is added when the driver gives no version text (SwiftShader's is empty).
     *
     * @param d the device
     * @return the driver name (or label), its info text and, without one, the decoded packed version
     */
    public static String driverVersion(PhysicalDeviceInfo d) {
        String driver = d.driverName().isEmpty() ? d.driverLabel() : d.driverName();
        String text = d.driverInfo().isEmpty() ? driver : driver + " " + d.driverInfo();
        String packed = d.driverVersionString();
        // Mesa's packed version is a placeholder (lavapipe: 0.0.1); its driverInfo holds the real one.
        return packed.isEmpty() || !d.driverInfo().isEmpty() ? text : text + " " + packed;
    }

    /**
     * Hardware devices first (not a CPU driver), then in enumeration order.
     *
     * @param devices the devices, not changed
     * @return a new sorted list
     */
    public static List<PhysicalDeviceInfo> hardwareFirst(List<PhysicalDeviceInfo> devices) {
        List<PhysicalDeviceInfo> sorted = new ArrayList<>(devices);
        sorted.sort(Comparator.comparing(DeviceSelector::isCpuDriver).thenComparingInt(PhysicalDeviceInfo::index));
        return sorted;
    }

    /**
     * Every device {@code name} fits (see the class comment), in enumeration order.
     *
     * @param devices the devices to choose from
     * @param name an index, a label or part of a device or driver name (trimmed, case-insensitive)
     * @return the devices it fits: one for an index, all exact label matches, else all substring matches
     * @throws IllegalArgumentException when it fits none, naming the devices there are
     */
    public static List<PhysicalDeviceInfo> matching(List<PhysicalDeviceInfo> devices, String name) {
        String wanted = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        if (wanted.isEmpty()) {
            throw new IllegalArgumentException("an empty device name; use an index or a label " + known(devices));
        }
        var indexed = INDEX.matcher(wanted).matches() ? INDEX.matcher(wanted) : VK_INDEX.matcher(wanted);
        if (indexed.matches()) {
            String digits = indexed.groupCount() == 0 ? indexed.group() : indexed.group(1);
            for (PhysicalDeviceInfo d : devices) {
                if (String.valueOf(d.index()).equals(digits.replaceFirst("^0+(?=\\d)", ""))) {
                    return List.of(d);
                }
            }
            throw new IllegalArgumentException("no Vulkan device fits '" + name.trim() + "': no device has index " + digits
                    + "; there are " + known(devices));
        }
        List<PhysicalDeviceInfo> exact = new ArrayList<>();
        for (PhysicalDeviceInfo d : devices) {
            if (label(d).toLowerCase(Locale.ROOT).equals(wanted) || d.driverLabel().toLowerCase(Locale.ROOT).equals(wanted)) {
                exact.add(d);
            }
        }
        if (!exact.isEmpty()) {
            return exact;
        }
        List<PhysicalDeviceInfo> partial = new ArrayList<>();
        for (PhysicalDeviceInfo d : devices) {
            if (d.name().toLowerCase(Locale.ROOT).contains(wanted) || d.driverName().toLowerCase(Locale.ROOT).contains(wanted)
                    || d.driverLabel().toLowerCase(Locale.ROOT).contains(wanted)) {
                partial.add(d);
            }
        }
        if (partial.isEmpty()) {
            throw new IllegalArgumentException("no Vulkan device fits '" + name.trim() + "'; there are " + known(devices)
                    + " (name one by index, label or part of its name)");
        }
        return partial;
    }

    /**
     * The one device {@code name} fits.
     *
     * @param devices the devices to choose from
     * @param name an index, a label or part of a device or driver name (see {@link #matching})
     * @return the device
     * @throws IllegalArgumentException when it fits none, or several (listing them)
     */
    public static PhysicalDeviceInfo one(List<PhysicalDeviceInfo> devices, String name) {
        List<PhysicalDeviceInfo> found = matching(devices, name);
        if (found.size() > 1) {
            throw new IllegalArgumentException("'" + name.trim() + "' is ambiguous: it fits " + describe(found)
                    + "; name one by its label (vkN) or index");
        }
        return found.get(0);
    }

    /**
     * The devices named by a comma-separated list, each name fitting exactly one device, in the order
     * given without repeats.
     *
     * @param devices the devices to choose from
     * @param commaSeparatedNames names as {@link #one} takes them, separated by commas
     * @return the named devices, first occurrence order, without repeats
     * @throws IllegalArgumentException for the first name that fits none or several
     */
    public static List<PhysicalDeviceInfo> all(List<PhysicalDeviceInfo> devices, String commaSeparatedNames) {
        Set<PhysicalDeviceInfo> chosen = new LinkedHashSet<>();
        for (String name : commaSeparatedNames.split(",")) {
            chosen.add(one(devices, name));
        }
        return List.copyOf(chosen);
    }

    private static String known(List<PhysicalDeviceInfo> devices) {
        return devices.isEmpty() ? "none (the Vulkan loader found no device)" : describe(devices) + " (./baton devices lists them)";
    }

    private static String describe(List<PhysicalDeviceInfo> devices) {
        List<String> parts = new ArrayList<>();
        for (PhysicalDeviceInfo d : devices) {
            parts.add(label(d) + " (" + d.name() + ")");
        }
        return String.join(", ", parts);
    }
}
