package dev.baton.render.scene;

import java.util.List;
import java.util.Locale;

/**
 * The animated scenes a producer can draw. Each is a list of passes (vertex shader, fragment shader,
 * vertex count, blending); the frame-stamp pass is appended to every scene by {@link SceneRenderer}.
 */
public enum Scene {
    /** Sum-of-sines plasma field. */
    PLASMA(List.of(new Pass("fullscreen.vert", "plasma.frag", 3, Pass.Blend.NONE))),
    /** A lit, rotating cube (JOML transform in the push constants) over a gradient. */
    MESH(List.of(new Pass("fullscreen.vert", "background.frag", 3, Pass.Blend.NONE),
            new Pass("mesh.vert", "mesh.frag", 36, Pass.Blend.NONE))),
    /** 3,000 additive particles from a fountain, positions a pure function of index and time. */
    PARTICLES(List.of(new Pass("fullscreen.vert", "background.frag", 3, Pass.Blend.NONE),
            new Pass("particles.vert", "particles.frag", 3000 * 6, Pass.Blend.ADDITIVE))),
    /** The producer's own frame counter in seven-segment digits. */
    COUNTER(List.of(new Pass("fullscreen.vert", "counter.frag", 3, Pass.Blend.NONE)));

    /** One draw: shaders, vertex count (no vertex buffers: positions come from gl_VertexIndex), blend. */
    public record Pass(String vertexShader, String fragmentShader, int vertexCount, Blend blend) {
        public enum Blend { NONE, ADDITIVE }
    }

    static final Pass STAMP = new Pass("fullscreen.vert", "stamp.frag", 3, Pass.Blend.NONE);

    private final List<Pass> passes;

    Scene(List<Pass> passes) {
        this.passes = passes;
    }

    public List<Pass> passes() {
        return passes;
    }

    /** The scene producer {@code index} draws by default: they cycle so neighbours differ. */
    public static Scene forProducer(int index) {
        return values()[Math.floorMod(index, values().length)];
    }

    /** Lower-case name for titles and reports. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
