#version 450
// Scene "plasma": a classic sum-of-sines field, hue-shifted per producer.
layout(location = 0) in vec2 uv;
layout(location = 0) out vec4 color;
void main() {
    float t = pc.params.x;
    vec2 p = (uv - 0.5) * vec2(pc.params.y, 1.0) * 6.0;
    float v = sin(p.x + t) + sin(0.7 * p.y + 1.3 * t) + sin(0.5 * (p.x + p.y) + 0.9 * t)
            + sin(length(p + vec2(sin(t * 0.5), cos(t * 0.3)) * 2.0) * 1.5 - t);
    vec3 rgb = hue(fract(v * 0.125 + float(pc.producer) * 0.17 + t * 0.05));
    color = vec4(rgb * (0.55 + 0.45 * sin(v * 3.14159)), 1.0);
}
