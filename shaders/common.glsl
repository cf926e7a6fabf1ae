// Shared by every producer scene: push constants and the frame stamp.
// Inserted by ShaderLibrary right after the #version line of each scene shader.

layout(push_constant) uniform Push {
    mat4 mvp;        // scene transform (JOML, column-major)
    vec4 params;     // x = time in seconds, y = aspect (w/h), z = width in pixels, w = height in pixels
    uint frame;      // frame number this submission renders; also stamped into the pixels
    uint producer;   // producer index, picks the scene's hue
} pc;

// The frame stamp: the top and bottom STAMP_ROWS rows of every surface encode the low 32 bits of the
// frame number in 32 cells between two magenta guard cells (34 cells across). Both strips carry the
// same number, so a frame torn between two renders decodes as two different numbers, and a stale
// frame decodes as an older number than the private data the producer released with.
// FrameStamp.java decodes it; keep the two in step.
const float STAMP_ROWS = 8.0;
const float STAMP_CELLS = 34.0;

bool inStamp(vec2 fragCoord) {
    return fragCoord.y < STAMP_ROWS || fragCoord.y >= pc.params.w - STAMP_ROWS;
}

vec4 stampColor(vec2 fragCoord) {
    float cellWidth = floor(pc.params.z / STAMP_CELLS);
    int cell = int(floor(fragCoord.x / cellWidth));
    if (cell == 0 || cell == 33) {
        return vec4(1.0, 0.0, 1.0, 1.0);
    }
    if (cell > 33) {
        return vec4(0.0, 0.0, 0.0, 1.0);
    }
    uint bit = (pc.frame >> uint(cell - 1)) & 1u;
    return bit == 1u ? vec4(1.0) : vec4(0.0, 0.0, 0.0, 1.0);
}

vec3 hue(float h) {
    return clamp(abs(mod(h * 6.0 + vec3(0.0, 4.0, 2.0), 6.0) - 3.0) - 1.0, 0.0, 1.0);
}
