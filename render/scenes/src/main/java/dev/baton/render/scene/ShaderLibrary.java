package dev.baton.render.scene;

import static org.lwjgl.util.shaderc.Shaderc.*;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.lwjgl.system.MemoryUtil;

/**
 * Compiles the GLSL sources in {@code shaders/} (packaged as class-path resources) to SPIR-V with
 * shaderc, once per name per process. Every shader gets {@code common.glsl} (push constants and the
 * frame stamp) inserted after its {@code #version} line. Thread-safe.
 *
 * <p>shaderc emits plain {@code LocalSize} (glslang with {@code --target-env vulkan1.3} would emit
 * {@code LocalSizeId}, which needs maintenance4).
 */
public final class ShaderLibrary {
    private static final Map<String, byte[]> SPIRV = new ConcurrentHashMap<>();

    private ShaderLibrary() {}

    /** SPIR-V words of {@code shaders/name} as a heap array; compile errors throw with the log. */
    public static byte[] spirv(String name) {
        return SPIRV.computeIfAbsent(name, ShaderLibrary::compile);
    }

    static String source(String name) {
        String body = resource(name);
        String common = resource("common.glsl");
        int versionEnd = body.indexOf('\n', body.indexOf("#version")) + 1;
        // #line keeps compiler messages pointing at the scene file's own line numbers
        return body.substring(0, versionEnd) + common + "\n#line 2\n" + body.substring(versionEnd);
    }

    private static String resource(String name) {
        try (InputStream in = ShaderLibrary.class.getResourceAsStream("/shaders/" + name)) {
            if (in == null) {
                throw new IllegalStateException("shader shaders/" + name + " is not on the class path; rebuild with ./baton");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read shaders/" + name + ": " + e.getMessage(), e);
        }
    }

    private static byte[] compile(String name) {
        int kind = name.endsWith(".vert") ? shaderc_vertex_shader
                : name.endsWith(".frag") ? shaderc_fragment_shader
                : name.endsWith(".comp") ? shaderc_compute_shader : -1;
        if (kind < 0) {
            throw new IllegalArgumentException("unknown shader stage for " + name + " (use .vert, .frag or .comp)");
        }
        long compiler = shaderc_compiler_initialize();
        long options = shaderc_compile_options_initialize();
        try {
            shaderc_compile_options_set_target_env(options, shaderc_target_env_vulkan, shaderc_env_version_vulkan_1_1);
            shaderc_compile_options_set_optimization_level(options, shaderc_optimization_level_performance);
            long result = shaderc_compile_into_spv(compiler, source(name), kind, name, "main", options);
            try {
                if (shaderc_result_get_compilation_status(result) != shaderc_compilation_status_success) {
                    throw new IllegalStateException("shader " + name + " does not compile:\n" + shaderc_result_get_error_message(result));
                }
                ByteBuffer bytes = shaderc_result_get_bytes(result);
                byte[] copy = new byte[bytes.remaining()];
                bytes.get(copy);
                return copy;
            } finally {
                shaderc_result_release(result);
            }
        } finally {
            shaderc_compile_options_release(options);
            shaderc_compiler_release(compiler);
        }
    }

    /** Copies SPIR-V into native memory for vkCreateShaderModule; the caller frees it. */
    static ByteBuffer nativeCopy(byte[] spirv) {
        ByteBuffer buffer = MemoryUtil.memAlloc(spirv.length);
        buffer.put(spirv).flip();
        return buffer;
    }
}
