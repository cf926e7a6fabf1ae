#version 450
layout(location = 0) in vec3 normal;
layout(location = 1) in vec3 local;
layout(location = 0) out vec4 color;
void main() {
    // Light from above-left of the camera (clip space: -y is up, -z points at the viewer).
    vec3 light = normalize(vec3(-0.4, -0.6, -1.0));
    float diffuse = max(dot(normalize(normal), light), 0.0);
    vec3 base = hue(float(pc.producer) * 0.17 + 0.08);
    // grid lines on the faces make the rotation readable
    vec3 g = abs(fract(local * 2.0) - 0.5);
    // local is on the cube's surface: the coordinate that is +-1 on this face never shows a line
    vec3 a = abs(local);
    float line = step(0.46, max(max(g.x * step(a.x, 0.99), g.y * step(a.y, 0.99)), g.z * step(a.z, 0.99)));
    vec3 rgb = base * (0.25 + 0.85 * diffuse) + vec3(0.25) * line;
    color = vec4(rgb, 1.0);
}
