package dev.baton.sync;

import java.nio.ByteBuffer;

/** TEMPORARY stand-in (see KeyedMutex). */
public record AcquireResult(AcquireStatus status, long fenceValue, ByteBuffer privateData) {}
