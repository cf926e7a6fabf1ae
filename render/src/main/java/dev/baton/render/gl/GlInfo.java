package dev.baton.render.gl;

import static org.lwjgl.opengl.GL11C.*;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import org.lwjgl.opengl.EXTMemoryObject;
import org.lwjgl.opengl.GLCapabilities;
import org.lwjgl.system.MemoryStack;

/**
 * What a GL context offers for interop, read once with {@link #query(GlContext)}. Immutable; any
 * thread may read it.
 *
 * @param renderer {@code GL_RENDERER}, such as {@code "llvmpipe (LLVM 15.0.6, 256 bits)"}
 * @param vendor {@code GL_VENDOR}
 * @param version {@code GL_VERSION}
 * @param contextMajor the context's major version
 * @param contextMinor the context's minor version
 * @param memoryObject {@code GL_EXT_memory_object} is offered
 * @param memoryObjectFd {@code GL_EXT_memory_object_fd} is offered
 * @param semaphore {@code GL_EXT_semaphore} is offered
 * @param semaphoreFd {@code GL_EXT_semaphore_fd} is offered
 * @param khrDebug {@code GL_KHR_debug} is offered
 * @param driverUuid 16 bytes of {@code GL_DRIVER_UUID_EXT}, or null without GL_EXT_memory_object
 * @param deviceUuid 16 bytes of {@code GL_DEVICE_UUID_EXT} (device 0), or null without GL_EXT_memory_object
 */
public record GlInfo(
        String renderer,
        String vendor,
        String version,
        int contextMajor,
        int contextMinor,
        boolean memoryObject,
        boolean memoryObjectFd,
        boolean semaphore,
        boolean semaphoreFd,
        boolean khrDebug,
        byte[] driverUuid,
        byte[] deviceUuid) {

    /** UUID length in bytes ({@code GL_UUID_SIZE_EXT}). */
    public static final int UUID_BYTES = EXTMemoryObject.GL_UUID_SIZE_EXT;

    /**
     * Copies the UUID arrays.
     *
     * @param renderer {@code GL_RENDERER}, such as {@code "llvmpipe (LLVM 15.0.6, 256 bits)"}
     * @param vendor {@code GL_VENDOR}
     * @param version {@code GL_VERSION}
     * @param contextMajor the context's major version
     * @param contextMinor the context's minor version
     * @param memoryObject {@code GL_EXT_memory_object} is offered
     * @param memoryObjectFd {@code GL_EXT_memory_object_fd} is offered
     * @param semaphore {@code GL_EXT_semaphore} is offered
     * @param semaphoreFd {@code GL_EXT_semaphore_fd} is offered
     * @param khrDebug {@code GL_KHR_debug} is offered
     * @param driverUuid 16 bytes of {@code GL_DRIVER_UUID_EXT}, or null without GL_EXT_memory_object
     * @param deviceUuid 16 bytes of {@code GL_DEVICE_UUID_EXT} (device 0), or null without GL_EXT_memory_object
     */
    public GlInfo {
        driverUuid = driverUuid == null ? null : driverUuid.clone();
        deviceUuid = deviceUuid == null ? null : deviceUuid.clone();
    }

    /**
     * Reads the strings, extension flags and UUIDs of {@code context}.
     *
     * @param context the GL context
     * @return its facts
     * @throws IllegalStateException if the calling thread does not own {@code context}
     */
    public static GlInfo query(GlContext context) {
        context.checkOwner();
        GLCapabilities caps = context.glCapabilities();
        byte[] driverUuid = null;
        byte[] deviceUuid = null;
        if (caps.GL_EXT_memory_object) {
            try (MemoryStack stack = MemoryStack.stackPush()) {
                ByteBuffer uuid = stack.calloc(UUID_BYTES);
                EXTMemoryObject.glGetUnsignedBytevEXT(EXTMemoryObject.GL_DRIVER_UUID_EXT, uuid);
                driverUuid = new byte[UUID_BYTES];
                uuid.get(0, driverUuid);
                uuid.clear();
                // Device UUIDs are indexed: a context may span several devices (SLI); device 0 owns our memory.
                EXTMemoryObject.glGetUnsignedBytei_vEXT(EXTMemoryObject.GL_DEVICE_UUID_EXT, 0, uuid);
                deviceUuid = new byte[UUID_BYTES];
                uuid.get(0, deviceUuid);
            }
        }
        return new GlInfo(
                glGetString(GL_RENDERER),
                glGetString(GL_VENDOR),
                glGetString(GL_VERSION),
                context.glMajorVersion(),
                context.glMinorVersion(),
                caps.GL_EXT_memory_object,
                caps.GL_EXT_memory_object_fd,
                caps.GL_EXT_semaphore,
                caps.GL_EXT_semaphore_fd,
                caps.GL_KHR_debug,
                driverUuid,
                deviceUuid);
    }

    /** {@return a copy of the 16 bytes of {@code GL_DRIVER_UUID_EXT}, or null without {@code GL_EXT_memory_object}} */
    @Override
    public byte[] driverUuid() {
        return driverUuid == null ? null : driverUuid.clone();
    }

    /** {@return a copy of the 16 bytes of {@code GL_DEVICE_UUID_EXT}, or null without {@code GL_EXT_memory_object}} */
    @Override
    public byte[] deviceUuid() {
        return deviceUuid == null ? null : deviceUuid.clone();
    }

    /**
     * True if memory exported by a device with these UUIDs can be imported here as OPAQUE_FD.
     *
     * @param exporterDriverUuid the exporter's {@code driverUUID}
     * @param exporterDeviceUuid the exporter's {@code deviceUUID}
     * @return whether {@code GL_EXT_memory_object_fd} is there and both UUIDs match
     */
    public boolean canImportOpaqueFdFrom(byte[] exporterDriverUuid, byte[] exporterDeviceUuid) {
        return memoryObjectFd && Arrays.equals(driverUuid, exporterDriverUuid) && Arrays.equals(deviceUuid, exporterDeviceUuid);
    }

    /** {@return true if the renderer string names a CPU rasterizer (Mesa's llvmpipe/softpipe/swrast, SwiftShader)} */
    public boolean softwareRenderer() {
        String r = renderer().toLowerCase(java.util.Locale.ROOT);
        return r.contains("llvmpipe") || r.contains("softpipe") || r.contains("swrast") || r.contains("swiftshader");
    }

    /**
     * A loud one-line warning when this GL renders on the CPU while one of {@code vulkanDevices} is a
     * hardware GPU (on a glvnd machine Mesa's EGL or GLX can serve the display while the GPU's vendor
     * library is not chosen, and everything then silently runs on the CPU), else null.
     *
     * @param vulkanDevices the Vulkan devices present
     * @return the warning line, or null when GL is on hardware or no Vulkan device is
     */
    public String softwareWarning(java.util.List<dev.baton.render.vk.PhysicalDeviceInfo> vulkanDevices) {
        if (!softwareRenderer()) {
            return null;
        }
        for (dev.baton.render.vk.PhysicalDeviceInfo d : vulkanDevices) {
            if (!d.cpuDriver()) {
                return "WARNING: the GL compositor runs on a software renderer (" + renderer() + ") although a hardware Vulkan device is"
                        + " present (" + d.name() + "): its surfaces will be copied through the CPU. Install the GPU vendor's EGL/GL"
                        + " library (glvnd: check __EGL_VENDOR_LIBRARY_FILENAMES / __GLX_VENDOR_LIBRARY_NAME) to composite on the GPU.";
            }
        }
        return null;
    }

    /**
     * Lower-case hex of a UUID, or {@code "-"} when null.
     *
     * @param uuid the UUID's bytes, or null
     * @return two hex digits per byte, no separators
     */
    public static String hex(byte[] uuid) {
        return uuid == null ? "-" : HexFormat.of().formatHex(uuid);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof GlInfo o && renderer.equals(o.renderer) && vendor.equals(o.vendor) && version.equals(o.version)
                && contextMajor == o.contextMajor && contextMinor == o.contextMinor && memoryObject == o.memoryObject
                && memoryObjectFd == o.memoryObjectFd && semaphore == o.semaphore && semaphoreFd == o.semaphoreFd
                && khrDebug == o.khrDebug && Arrays.equals(driverUuid, o.driverUuid) && Arrays.equals(deviceUuid, o.deviceUuid);
    }

    @Override
    public int hashCode() {
        return 31 * renderer.hashCode() + Arrays.hashCode(deviceUuid);
    }

    @Override
    public String toString() {
        return "GlInfo[" + renderer + ", " + vendor + ", " + version + ", core " + contextMajor + "." + contextMinor
                + ", memory_object=" + memoryObject + ", memory_object_fd=" + memoryObjectFd + ", semaphore=" + semaphore
                + ", semaphore_fd=" + semaphoreFd + ", driverUUID=" + hex(driverUuid) + ", deviceUUID=" + hex(deviceUuid) + "]";
    }
}
