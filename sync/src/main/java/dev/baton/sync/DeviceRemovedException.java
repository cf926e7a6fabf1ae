package dev.baton.sync;

/** TEMPORARY stand-in (see KeyedMutex). */
public class DeviceRemovedException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public DeviceRemovedException(String message) {
        super(message);
    }
}
