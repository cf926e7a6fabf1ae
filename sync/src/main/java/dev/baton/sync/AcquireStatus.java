package dev.baton.sync;

/**
 * The outcome of {@link KeyedMutex.Handle#acquire}. Only {@link #ACQUIRED} means the caller owns the
 * surface; a caller that treats any other value as success repeats the {@code SUCCEEDED()} bug of
 * DXGI callers.
 */
public enum AcquireStatus {
    /** The caller's handle now owns the mutex (DXGI {@code S_OK}). */
    ACQUIRED,
    /**
     * The key was not released to the caller before the deadline (DXGI {@code WAIT_TIMEOUT}). Nothing
     * changed: retry, or give up on this frame.
     */
    TIMEOUT,
    /**
     * The mutex was abandoned: an owner closed its handle or lost its device while owning (DXGI
     * {@code WAIT_ABANDONED}). Sticky: the surface content is undefined; recreate the mutex and the
     * surface.
     */
    ABANDONED
}
