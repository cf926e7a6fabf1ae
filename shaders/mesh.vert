#version 450
// Scene "mesh": a unit cube generated from gl_VertexIndex (36 vertices, no vertex buffer),
// transformed by the JOML model-view-projection in the push constants.
layout(location = 0) out vec3 normal;
layout(location = 1) out vec3 local;
const vec3 NORMALS[6] = vec3[](vec3(1, 0, 0), vec3(-1, 0, 0), vec3(0, 1, 0), vec3(0, -1, 0), vec3(0, 0, 1), vec3(0, 0, -1));
void main() {
    int face = gl_VertexIndex / 6;
    int corner = gl_VertexIndex % 6;
    // two triangles per face, corners in (u, v) in {-1, 1}
    const vec2 QUAD[6] = vec2[](vec2(-1, -1), vec2(1, -1), vec2(1, 1), vec2(-1, -1), vec2(1, 1), vec2(-1, 1));
    vec3 n = NORMALS[face];
    vec3 u = abs(n.x) > 0.5 ? vec3(0, 1, 0) : vec3(1, 0, 0);
    vec3 v = cross(n, u);
    vec2 q = QUAD[corner];
    vec3 p = n + q.x * u + q.y * v;
    local = p;
    // The upper 3x3 of the clip transform is rotation times a per-axis projection scale: good
    // enough to bring the normal near view space for shading with a light fixed to the camera.
    normal = normalize(mat3(pc.mvp) * n);
    gl_Position = pc.mvp * vec4(p * 0.5, 1.0);
}
