#version 450
// Scene "particles": PARTICLES quads spiralling out of a fountain, positions a pure function of
// (index, time): no buffers, no simulation state to race.
layout(location = 0) out vec2 corner;
layout(location = 1) out vec3 tint;
const int PARTICLES = 3000;
float rand(float n) { return fract(sin(n * 12.9898) * 43758.5453); }
void main() {
    int id = gl_VertexIndex / 6;
    int c = gl_VertexIndex % 6;
    const vec2 QUAD[6] = vec2[](vec2(-1, -1), vec2(1, -1), vec2(1, 1), vec2(-1, -1), vec2(1, 1), vec2(-1, 1));
    float fid = float(id);
    float life = 3.0 + 2.0 * rand(fid);
    float age = mod(pc.params.x + rand(fid + 7.0) * life, life);
    float angle = rand(fid + 3.0) * 6.28318 + age * (0.5 + rand(fid + 5.0));
    float speed = 0.15 + 0.25 * rand(fid + 11.0);
    vec2 pos = vec2(cos(angle), sin(angle)) * speed * age + vec2(0.0, 0.35) - vec2(0.0, 0.5 * 0.08 * age * age);
    float size = 0.012 * (1.0 - age / life) + 0.003;
    corner = QUAD[c];
    tint = hue(rand(fid) * 0.3 + float(pc.producer) * 0.17) * (1.0 - age / life);
    gl_Position = vec4(pos.x / pc.params.y + corner.x * size / pc.params.y, -pos.y + corner.y * size, 0.0, 1.0);
}
