#version 450
layout(location = 0) in vec3 normal;
layout(location = 1) in vec3 local;
layout(location = 0) out vec4 color;
void main() {
    // Light fixed in model space circling with time gives moving shading on the rotating cube.
    float t = pc.params.x;
    vec3 light = normalize(vec3(cos(t * 0.7), 0.8, sin(t * 0.7)));
    float diffuse = max(dot(normalize(normal), light), 0.0);
    vec3 base = hue(float(pc.producer) * 0.17 + 0.08);
    // grid lines on the faces make the rotation readable
    vec3 g = abs(fract(local * 2.0) - 0.5);
    float line = step(0.46, max(max(g.x * step(0.01, 1.0 - abs(normal.x)), g.y * step(0.01, 1.0 - abs(normal.y))), g.z * step(0.01, 1.0 - abs(normal.z))));
    vec3 rgb = base * (0.2 + 0.8 * diffuse) + vec3(0.15) * line;
    color = vec4(rgb, 1.0);
}
