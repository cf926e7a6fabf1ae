package dev.baton.sync;

/**
 * Thrown by every operation on a {@link KeyedMutex.Handle} after its device was reported lost through
 * {@link KeyedMutex.Handle#deviceLost()} (the analogue of {@code STATUS_DEVICE_REMOVED}). It is an
 * {@link IllegalStateException}: the handle is unusable and the only way on is to recreate the device,
 * its handles and (because a lost owner abandons it) usually the mutex and the surface.
 */
public class DeviceRemovedException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    /** @param message what was attempted on which device, and what to do instead */
    public DeviceRemovedException(String message) {
        super(message);
    }
}
