#version 450
// Scene "counter": the producer's own frame number in large seven-segment digits over a grid,
// so a person can read in the composited window which frame crossed.
layout(location = 0) in vec2 uv;
layout(location = 0) out vec4 color;

float segment(vec2 p, vec2 a, vec2 b) {
    vec2 pa = p - a, ba = b - a;
    float h = clamp(dot(pa, ba) / dot(ba, ba), 0.0, 1.0);
    return 1.0 - smoothstep(0.06, 0.09, length(pa - ba * h));
}

// Segment bit masks for 0-9: a b c d e f g (bit 0 = a, top; going clockwise; g = middle).
const int DIGITS[10] = int[](0x3F, 0x06, 0x5B, 0x4F, 0x66, 0x6D, 0x7D, 0x07, 0x7F, 0x6F);

float digit(vec2 p, int d) {
    int m = DIGITS[d];
    float v = 0.0;
    if ((m & 0x01) != 0) v = max(v, segment(p, vec2(0.0, 1.0), vec2(0.5, 1.0)));
    if ((m & 0x02) != 0) v = max(v, segment(p, vec2(0.5, 1.0), vec2(0.5, 0.5)));
    if ((m & 0x04) != 0) v = max(v, segment(p, vec2(0.5, 0.5), vec2(0.5, 0.0)));
    if ((m & 0x08) != 0) v = max(v, segment(p, vec2(0.0, 0.0), vec2(0.5, 0.0)));
    if ((m & 0x10) != 0) v = max(v, segment(p, vec2(0.0, 0.5), vec2(0.0, 0.0)));
    if ((m & 0x20) != 0) v = max(v, segment(p, vec2(0.0, 1.0), vec2(0.0, 0.5)));
    if ((m & 0x40) != 0) v = max(v, segment(p, vec2(0.0, 0.5), vec2(0.5, 0.5)));
    return v;
}

void main() {
    vec2 p = vec2(uv.x * pc.params.y, 1.0 - uv.y);     // y up, x in aspect units
    vec3 base = hue(float(pc.producer) * 0.17 + 0.6) * 0.18;
    vec2 grid = abs(fract(p * 8.0 - vec2(pc.params.x * 0.5, 0.0)) - 0.5);
    base += vec3(0.05) * step(0.47, max(grid.x, grid.y));
    // six digits, centred
    const int COUNT = 6;
    float digitWidth = 0.8 * pc.params.y / float(COUNT);
    vec2 origin = vec2(0.1 * pc.params.y, 0.32);
    vec2 q = (p - origin) / digitWidth;
    float lit = 0.0;
    int slot = int(floor(q.x));
    if (slot >= 0 && slot < COUNT && q.y >= -0.1 && q.y < 1.6) {
        uint n = pc.frame;
        for (int i = COUNT - 1; i > slot; i--) n /= 10u;
        int d = int(n % 10u);
        lit = digit(vec2(fract(q.x) * 1.2 - 0.25, q.y / 1.4), d);
    }
    color = vec4(mix(base, vec3(1.0, 0.85, 0.3), lit), 1.0);
}
