/**
 * Baton across processes, below the GPU: Unix-domain {@code SOCK_SEQPACKET} sockets with fd passing
 * over libc ({@link dev.baton.render.ipc.LibC}, {@link dev.baton.render.ipc.SeqPacketSocket}), the
 * socket path rules ({@link dev.baton.render.ipc.SocketPaths}), the versioned broker protocol
 * ({@link dev.baton.render.ipc.Protocol}, {@link dev.baton.render.ipc.MessageWriter},
 * {@link dev.baton.render.ipc.ProtocolViolation}), the broker's keyed-mutex service
 * ({@link dev.baton.render.ipc.Broker}) and its client ({@link dev.baton.render.ipc.BrokerClient}).
 * Nothing here calls Vulkan or GL: memory is allocated through a
 * {@link dev.baton.render.ipc.SurfaceAllocator} (host memfds by default) and sync objects travel as
 * fds the protocol only checks and passes on.
 *
 * <p>The section below is the README draft for the protocol (markdown).
 *
 * <pre>
 * ## The broker protocol (version 3)
 *
 * One Unix-domain SOCK_SEQPACKET connection per producer device. Default socket
 * `$XDG_RUNTIME_DIR/baton/compositor.sock`, else `/tmp/baton-UID/compositor.sock`; the directory is
 * 0700 and must be ours with no group/other bits, the socket 0600; a socket whose server died
 * (connect: ECONNREFUSED) is replaced, a live one refused. Only our uid may connect (SO_PEERCRED).
 *
 * Every message starts with a 16-byte header, little-endian:
 * `u32 magic "BATN" | u16 version | u16 type | u32 length (whole message) | u32 sequence`.
 * Sequence numbers start at 1 in each direction and go up by 1. Every type has one exact length
 * (a fixed part plus the variable length it declares); messages are at most 512 bytes and carry at
 * most 8 fds (SCM_RIGHTS, received close-on-exec). The surface messages share one layout:
 * `u32 surfaceId | u32 dataLength | u64 key | u64 value | data[dataLength]`.
 *
 * | type | name | direction | fields after the header | fds |
 * |---|---|---|---|---|
 * | 1 | HELLO | producer to broker | u32 pid, u32 capabilities (bit 0: its device imports OPAQUE_FD image memory), u8[16] device UUID, u8[16] driver UUID (of that device; zeros for none), u16 nameLength (at most 64), u16 0, UTF-8 name | 0 |
 * | 2 | WELCOME | broker to producer | u32 clientId, u32 maxPrivateDataBytes (256), u32 maxSurfaces, u32 capabilities (bit 0: the broker allocates device memory for this HELLO's UUIDs, answering a SURFACE_OFFER of memory choice 2 without a memory fd; sent only when HELLO set bit 0) | 0 |
 * | 3 | REFUSE | broker to producer | u16 brokerVersion, u16 clientVersion, u16 reason (1 version mismatch, 2 too many clients, 3 not our uid, 4 shutting down), u16 textLength (at most 256), text; then the broker closes | 0 |
 * | 4 | SURFACE_OFFER | producer to broker | u32 requestId, u32 width, u32 height, u32 format (VkFormat), u32 usage, u16 memory choice (1 host memfd: the producer's device imports it; 2 device opaque fd: with a memory fd the client's own memory, without one (version 3) device memory the broker allocates for the UUIDs of HELLO; 3 host copy: the same sealed memfd, which the producer writes with its CPU after its fence), u16 sync choice (1 host bridge, 2 binary semaphores, 3 shared timeline), u64 initialKey, u32 syncFdCount (at most 4), u32 memoryFdCount (0, or 1 with memory choice 2: the client's own device memory), u64[4] size of each sync fd, then (version 2) the client memory's u64 allocationBytes, u32 memoryTypeIndex, u32 tiling (0 optimal, 1 linear), u32 createFlags, u32 0, u8[16] driver UUID, u8[16] device UUID (all zero without a memory fd) | the client's memory fd if counted, then its exported sync fds, as counted: per tier, sync choice 2 (binary semaphores) the two binary semaphores it exported once (memfds on SwiftShader), sync choice 3 (shared timeline) exactly one, the timeline semaphore it exported once (OPAQUE_FD; any other count is FD_COUNT), the host bridge none (FENCE_REACHED carries its values) |
 * | 5 | SURFACE_CREATED | broker to producer | u32 requestId (0: granted, not asked for), u32 surfaceId, u64 allocationBytes, u32 memoryTypeIndex, u32 width, u32 height, u32 format, u32 tiling, u32 usage, u16 memory choice, u16 sync choice, u32 memoryFdCount, u32 syncFdCount, u32 maxPrivateDataBytes, u64 initialKey, then (version 2) u8[16] driver UUID, u8[16] device UUID of the memory's exporter (zeros for a broker memfd), u32 createFlags, u32 0 | memory fds, then sync fds: the offer's sync fds relayed as they came (the shared timeline's one fd, which the receiver imports and waits on; the binary semaphores' two) |
 * | 6 | ACQUIRE | producer to broker | surface layout; key = key to acquire, value = timeout in ns (0 polls; capped by the broker) | 0 |
 * | 7 | ACQUIRED | broker to producer | surface layout; value = fence value to wait for, data = the releaser's private data | 0 |
 * | 8 | TIMEOUT | broker to producer | surface layout; key = the key asked for | 0 |
 * | 9 | ABANDONED | broker to producer | surface layout; the surface's owner died or its creator left: recreate it | 0 |
 * | 10 | RELEASE | producer to broker | surface layout; key = next owner's key, value = fence value its GPU work will signal (unsigned, never below the stored one), data = private data (at most 256 bytes) | 0 |
 * | 11 | FENCE_REACHED | both | surface layout; value = fence value the sender's GPU reached (host bridge); the broker forwards it to the surface's other participants | 0 |
 * | 12 | BYE | both | u32 reason, u32 0; the sender closes. A producer's BYE abandons what it owns, as a close does | 0 |
 * | 13 | ERROR | broker to producer | u16 rule (ProtocolViolation.Rule ordinal), u16 textLength, u32 sequence it answers, text. After a violation the broker closes; an ERROR answering a SURFACE_OFFER the broker cannot serve leaves the connection open | 0 |
 *
 * A connection must start with HELLO (within 5 s); a HELLO of another version is answered REFUSE
 * naming both versions. Every message is checked and any violation disconnects that client alone,
 * with ERROR and one log line naming the client and the rule: MAGIC, VERSION, UNKNOWN_TYPE,
 * DIRECTION (a type only the other side sends), LENGTH (not the exact length), OVERSIZED, SEQUENCE,
 * STATE (anything before HELLO, a second HELLO), FIELD (zero size, unknown choice, bad name),
 * FD_COUNT (fds other than declared, more than one memory fd), FD_TRUNCATED (more fds than a message
 * may carry; all closed), FD_TYPE / FD_SIZE (fstat of a sync or memory fd: not a regular file/memfd; a
 * sync fd not the size claimed, a memory fd smaller than the allocation claimed), FIELD also for a
 * memory fd with a memory choice other than 2,
 * UNKNOWN_SURFACE (not given to this client), NOT_OWNER (release without owning), ALREADY_OWNER
 * (recursive acquire), ACQUIRE_PENDING (a second acquire of one surface before the answer),
 * FENCE_BACKWARDS, FENCE_REACHED (a value below its last report or above what it released),
 * PRIVATE_DATA_LIMIT, LIMIT (surfaces per client). The broker never blocks on a client: acquires
 * are polled and queued, answers go to a bounded send queue (a client that does not read is
 * disconnected), and connections and messages per wake are bounded.
 *
 * The broker allocates every surface; with the host-memfd allocator the memory is a memfd the
 * broker creates and seals SHRINK|GROW|SEAL, so no client can truncate it and SIGBUS anyone. The
 * allocator serves memory choices 1 and 3 with the same memfd; choice 3 only tells the broker (and its
 * summary) that the producer copies every frame into it.
 *
 * A client may offer its own device memory (memory choice 2 with one memory fd) only where the
 * broker's client-memory policy allows (`Broker.Config.clientMemory`: REFUSE by default, SEALED, or
 * TRUSTED; see the security model); the broker checks it by fstat and its seals, relays it to the
 * clients it shares the surface with, and never maps or imports it. Otherwise the offer is answered
 * ERROR and the client stays connected.
 *
 * Versions: 1, the first; 2 added memory choice 3 (host copy), the client-memory fields of
 * SURFACE_OFFER and the exporter's UUIDs and create flags in SURFACE_CREATED; 3 gave HELLO's UUIDs and
 * both capability words their meaning and added memory choice 2 without a memory fd (broker-allocated
 * device memory, sent only sealed against shrinking and growing). A client and a broker of
 * different versions are refused at HELLO with both versions named.
 * </pre>
 */
package dev.baton.render.ipc;
