package dev.baton.app.bench;

/**
 * A scenario made no progress within its stall timeout: a key never came, a GPU submit never
 * completed, or a worker thread did not finish. The message names the scenario and what it waited for.
 */
public final class StallException extends RuntimeException {
    public StallException(String scenario, String what) {
        super("scenario '" + scenario + "' stalled: " + what);
    }
}
