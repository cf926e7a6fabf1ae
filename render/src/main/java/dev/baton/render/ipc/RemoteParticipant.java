package dev.baton.render.ipc;

import dev.baton.render.vk.Participant;

/**
 * A surface participant in another process, as the compositor sees it: a broker connection (its
 * client id and name) whose {@link #signalTimeline()} is a {@link RemoteTimeline} that its
 * FENCE_REACHED messages advance. The compositor's handoff code waits on that timeline exactly as it
 * waits on a local participant's, so it does not know which kind it has.
 */
public final class RemoteParticipant implements Participant {
    private final int clientId;
    private final String name;
    private final RemoteTimeline timeline;

    /**
     * The participant for connection {@code clientId}, surface {@code surfaceId}.
     *
     * @param clientId the broker's id of the connection
     * @param name the name it gave in HELLO
     * @param surfaceId the surface
     */
    public RemoteParticipant(int clientId, String name, int surfaceId) {
        this.clientId = clientId;
        this.name = name;
        this.timeline = new RemoteTimeline(name + "/surface-" + surfaceId);
    }

    @Override
    public RemoteTimeline signalTimeline() {
        return timeline;
    }

    /** {@return the broker's id of its connection} */
    public int clientId() {
        return clientId;
    }

    /** {@return the name it gave in HELLO} */
    public String name() {
        return name;
    }
}
