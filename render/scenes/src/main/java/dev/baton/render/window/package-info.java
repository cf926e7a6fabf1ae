/**
 * The demo's presentation side: a GLFW window with a GL context ({@link dev.baton.render.window.GlfwWindow})
 * and the headless canvas producer tiles are blitted into ({@link dev.baton.render.window.TileCompositor}).
 * Not part of the library: {@code baton-render} carries no windowing dependency.
 */
package dev.baton.render.window;
