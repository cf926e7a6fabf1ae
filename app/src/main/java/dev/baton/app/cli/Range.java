package dev.baton.app.cli;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The accepted range of a numeric or {@link Size} option, beside its picocli {@code @Option}:
 * {@code @Option(names = "--producers", paramLabel = "N", description = "...") @Range(min = 1, max = 16) int producers = 4;}
 * For a {@link Size} both sides must lie in the range. Both bounds are inclusive. {@link Cli} refuses a
 * value outside it with the same one-line message as a malformed value, and writes the range into the
 * error; every {@code int}, {@code double} and {@link Size} option must carry one.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.FIELD, ElementType.METHOD})
public @interface Range {
    double min();

    double max();
}
