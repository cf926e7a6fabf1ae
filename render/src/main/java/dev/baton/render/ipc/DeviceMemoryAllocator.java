package dev.baton.render.ipc;

import dev.baton.render.vk.DeviceContext;
import dev.baton.render.vk.SurfaceImage;
import java.util.Arrays;

/**
 * A {@link SurfaceAllocator} that allocates a surface as exportable Vulkan image memory (OPAQUE_FD,
 * dedicated, optimal tiling) on a device of the broker's own, for a client whose device has the same
 * driver and device UUIDs ({@link Protocol#MEMORY_DEVICE_OPAQUE_FD} without a client fd); every other
 * offer goes to {@code fallback} (the host memfd). The broker's compositor then imports the same
 * memory into GL (same UUIDs: {@code GL_EXT_memory_object_fd}) and samples it without a copy.
 *
 * <p>Safety: the fd sent is refused unless no client can truncate it ({@link #truncationRisk}): a
 * memfd must be sealed against shrinking and growing ({@code F_GET_SEALS} shows
 * {@code F_SEAL_SHRINK | F_SEAL_GROW}; lavapipe's memory fds are memfds so sealed), while a dma-buf or
 * a driver's device fd (hardware drivers) has a size only its driver sets; so no client can truncate
 * the pages and SIGBUS the broker or another client through them.
 * A driver whose fds are not so sealed (SwiftShader) is never given to this class's clients: the
 * offer is refused and the client falls back to the host memfd.
 *
 * <p>The broker-side image and its memory are freed right after the export: the fd holds its own
 * reference to the memory's payload (an exported OPAQUE_FD stays valid after the exporter frees its
 * {@code VkDeviceMemory}), so the broker keeps only the fd, owned by the surface. Thread contract: the
 * broker's event loop thread only; {@code device} is used by nothing else.
 */
public final class DeviceMemoryAllocator implements SurfaceAllocator {
    private final DeviceContext device;
    private final SurfaceAllocator fallback;
    private final byte[] driverUuid;
    private final byte[] deviceUuid;

    /**
     * Whether an exported memory fd of {@code type} ({@code st_mode & S_IFMT}) with {@code seals}
     * ({@code F_GET_SEALS}, negative where it has none) could be truncated by a client that receives it:
     * a regular file (a memfd, as lavapipe's and SwiftShader's are) must be sealed against shrinking and
     * growing; an anonymous inode (a dma-buf, as Mesa's hardware drivers export) or a character device
     * (a driver's device fd) has a size only its driver sets, which {@code ftruncate} cannot change;
     * anything else is refused.
     *
     * @param type the fd's file type
     * @param seals its seals, or negative
     * @return null if no client can truncate it, else why it is refused
     */
    static String truncationRisk(int type, int seals) {
        int fixed = LibC.F_SEAL_SHRINK | LibC.F_SEAL_GROW;
        switch (type) {
            case LibC.S_IFREG:
                return seals >= 0 && (seals & fixed) == fixed ? null
                        : "the driver's memory fd is a file not sealed against truncation (seals " + seals + ")";
            case 0:
            case LibC.S_IFCHR:
                return null;
            default:
                return "the driver's memory fd is a " + Fds.FileStatus.typeName(type) + ", of no size a driver fixes";
        }
    }

    /**
     * @param device a device that exports OPAQUE_FD image memory; owned by the caller, closed after the broker
     * @param fallback the allocator for every other offer
     */
    public DeviceMemoryAllocator(DeviceContext device, SurfaceAllocator fallback) {
        if (!device.info().memoryExport()) {
            throw new IllegalArgumentException(device.name() + " cannot export OPAQUE_FD image memory");
        }
        this.device = device;
        this.fallback = fallback;
        this.driverUuid = device.info().driverUuid();
        this.deviceUuid = device.info().deviceUuid();
    }

    @Override
    public boolean allocatesDeviceMemoryFor(byte[] clientDriverUuid, byte[] clientDeviceUuid) {
        return Arrays.equals(driverUuid, clientDriverUuid) && Arrays.equals(deviceUuid, clientDeviceUuid);
    }

    @Override
    public String allocate(BrokerSurface.Description d, BrokerSurface.Fds memory) {
        if (d.memoryChoice != Protocol.MEMORY_DEVICE_OPAQUE_FD) {
            return fallback.allocate(d, memory);
        }
        if (!allocatesDeviceMemoryFor(d.driverUuid, d.deviceUuid)) {
            return "device memory is allocated only for a client of the broker's driver and device (" + device.info().name() + ")";
        }
        if (d.format != SurfaceImage.FORMAT) {
            return "device memory surfaces are VkFormat " + SurfaceImage.FORMAT + " (R8G8B8A8_UNORM), not " + d.format;
        }
        if (d.width <= 0 || d.height <= 0 || d.width > 16384 || d.height > 16384) {
            return "surface size " + Integer.toUnsignedString(d.width) + "x" + Integer.toUnsignedString(d.height) + " is outside 1..16384";
        }
        int fd = -1;
        try (SurfaceImage image = SurfaceImage.createExportable(device, d.width, d.height)) {
            fd = image.dupFd();
            Fds.FileStatus st = new Fds.FileStatus();
            String risk = Fds.fstat(fd, st) != 0 ? "fstat of the driver's memory fd failed" : truncationRisk(st.type(), Fds.seals(fd));
            if (risk != null) {
                Fds.closeQuietly(fd);
                return risk + ": a client could SIGBUS the broker through it; use the host memfd";
            }
            d.allocationBytes = image.allocationSizeBytes();
            d.memoryTypeIndex = image.memoryTypeIndex();
            d.tiling = image.linearTiling() ? 1 : 0;
            d.usage = image.vkUsage();
            d.createFlags = image.vkCreateFlags();
            System.arraycopy(driverUuid, 0, d.driverUuid, 0, 16);
            System.arraycopy(deviceUuid, 0, d.deviceUuid, 0, 16);
            memory.add(fd);
            return null;
        } catch (RuntimeException e) {
            if (fd >= 0 && memory.count() == 0) {
                Fds.closeQuietly(fd);
            }
            return "cannot allocate device memory on " + device.info().name() + ": " + e.getMessage();
        }
    }
}
