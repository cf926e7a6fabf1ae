package dev.baton.sync;

/** TEMPORARY stand-in (see KeyedMutex). */
public enum AcquireStatus { ACQUIRED, TIMEOUT, ABANDONED }
