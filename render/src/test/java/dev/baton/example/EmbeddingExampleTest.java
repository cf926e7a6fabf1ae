package dev.baton.example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.baton.render.SyncTier;
import dev.baton.render.vk.VulkanInstance;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The README's embedding guide is {@link EmbeddingExample}, verbatim: this test checks the README
 * block equals the file and runs the program on lavapipe under the validation layer, so the guide
 * cannot rot. The example lives outside {@code dev.baton.render}, so it compiles against the public
 * API only.
 */
class EmbeddingExampleTest {
    static final String SOURCE = "src/test/java/dev/baton/example/EmbeddingExample.java";
    static final String MARKER = "<!-- embedding-example: render/" + SOURCE + " -->";

    @Test
    void readmeShowsTheProgramVerbatim() throws IOException {
        String readme = Files.readString(Path.of("..", "README.md"));
        int marker = readme.indexOf(MARKER);
        assertTrue(marker >= 0, "README.md lacks the line " + MARKER + " before the embedding guide's code block");
        int start = readme.indexOf("```java\n", marker);
        assertTrue(start >= 0, "README.md: no ```java block after " + MARKER);
        start += "```java\n".length();
        int end = readme.indexOf("\n```\n", start);
        assertTrue(end >= 0, "README.md: the embedding guide's code block is not closed");
        String inReadme = readme.substring(start, end + 1);
        String file = Files.readString(Path.of(SOURCE));
        assertEquals(file, inReadme, "the README's embedding guide differs from " + SOURCE + ": paste the file into the block");
    }

    @Test
    void runsOnLavapipeUnderValidation() throws InterruptedException {
        boolean lavapipe;
        boolean layer = VulkanInstance.validationLayerAvailable();
        try (VulkanInstance probe = VulkanInstance.create()) {
            lavapipe = probe.physicalDevices().stream().anyMatch(d -> d.name().contains("llvmpipe"));
        }
        String missing = !lavapipe ? "lavapipe (install mesa-vulkan-drivers)"
                : !layer ? "the Khronos validation layer (install vulkan-validationlayers, or run through ./baton test)" : null;
        if (missing != null) {
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail(missing + " is not available");
            }
            Assumptions.assumeTrue(false, missing + " is not available");
        }
        EmbeddingExample.Result result = EmbeddingExample.run("llvmpipe", true);
        assertEquals(EmbeddingExample.FRAMES, result.framesChecked(), "frames whose pixels crossed the devices and were checked");
        assertNotEquals(SyncTier.HOST_COPY, result.tier(), "lavapipe shares memory between its devices");
        assertEquals(0, result.validationMessages(), "validation messages (printed on stderr)");
    }
}
