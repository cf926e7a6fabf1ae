#version 450
// A soft vertical gradient behind the mesh and particle scenes.
layout(location = 0) in vec2 uv;
layout(location = 0) out vec4 color;
void main() {
    vec3 top = 0.25 * hue(float(pc.producer) * 0.17 + 0.5);
    vec3 bottom = vec3(0.02, 0.02, 0.05);
    color = vec4(mix(top, bottom, uv.y), 1.0);
}
