package dev.baton.app;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The Baton version and the git commit this build was made from, for {@code --version} and for every
 * JSON the tools write. Both come from {@code build-info.properties}, which the Maven build writes by
 * resource filtering: the version is the project version, the commit is what the launcher passes as
 * {@code -Dbaton.commit} ({@code git rev-parse --short HEAD}, {@code -dirty} appended when tracked files
 * differ from it), {@code "unknown"} for a build outside
 * git or without the launcher. Immutable; safe from any thread.
 */
public final class BuildInfo {
    private static final String RESOURCE = "build-info.properties";
    private static final String UNKNOWN = "unknown";
    private static final BuildInfo CURRENT = load();

    private final String version;
    private final String commit;

    private BuildInfo(String version, String commit) {
        this.version = version;
        this.commit = commit;
    }

    /** The build this code is part of. */
    public static BuildInfo current() {
        return CURRENT;
    }

    /** The Maven project version, such as {@code 0.1.0-SNAPSHOT}. */
    public String version() {
        return version;
    }

    /**
     * The short git commit, with {@code -dirty} when tracked files differed from it at build time, or
     * {@code "unknown"} when the build did not know it.
     */
    public String commit() {
        return commit;
    }

    /** One line for {@code --version}: {@code baton 0.1.0-SNAPSHOT (commit 1a2b3c4)}. */
    public String versionLine() {
        return "baton " + version + " (commit " + commit + ")";
    }

    private static BuildInfo load() {
        Properties p = new Properties();
        try (InputStream in = BuildInfo.class.getResourceAsStream(RESOURCE)) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE + " from the class path", e);
        }
        return new BuildInfo(clean(p.getProperty("version")), clean(p.getProperty("commit")));
    }

    /** An absent, blank or unfiltered ({@code ${...}}) value reads as unknown. */
    private static String clean(String value) {
        return value == null || value.isBlank() || value.contains("${") ? UNKNOWN : value.trim();
    }
}
