#version 450
// Last pass of every scene: writes the frame stamp strips, leaves the rest untouched.
layout(location = 0) in vec2 uv;
layout(location = 0) out vec4 color;
void main() {
    if (!inStamp(gl_FragCoord.xy)) {
        discard;
    }
    color = stampColor(gl_FragCoord.xy);
}
