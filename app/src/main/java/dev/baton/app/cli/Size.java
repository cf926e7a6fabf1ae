package dev.baton.app.cli;

/** A frame size such as {@code 512x384}, the type of {@code --size} options. */
public record Size(int width, int height) {
    @Override
    public String toString() {
        return width + "x" + height;
    }
}
