package dev.taskbound.core.policy;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Optional;

/**
 * The profiles Taskbound ships (docs/policy.md, "Shipped profiles"): {@code coding-agent},
 * {@code review-agent} (read-only) and {@code ops-agent}, each a {@code kind: Profile} data file in
 * the jar, bound like an org profile file and, like every profile, only narrowing the ceiling. A
 * Ceiling's own profile of the same name wins. Stateless.
 */
public final class ShippedProfiles {
  /** The shipped profiles' names, in the order the docs list them. */
  public static final List<String> NAMES = List.of("coding-agent", "review-agent", "ops-agent");

  private ShippedProfiles() {}

  /** The name a shipped profile's values carry as their provenance, e.g. {@code taskbound:profiles/review-agent.yml}. */
  static String sourceName(String name) {
    return "taskbound:profiles/" + name + ".yml";
  }

  /**
   * The shipped profile {@code name}, bound; empty for any other name.
   *
   * @throws PolicyException if the shipped file is malformed (a build defect the tests catch)
   */
  static Optional<Located<Layer>> find(String name) {
    if (!NAMES.contains(name)) {
      return Optional.empty();
    }
    return Optional.of(PolicyBinder.parseProfile(new PolicyText(sourceName(name), text(name)), name));
  }

  /** The shipped file's bytes, as the jar holds them. */
  public static byte[] text(String name) {
    if (!NAMES.contains(name)) {
      throw new IllegalArgumentException("no shipped profile '" + name + "'; shipped: " + String.join(", ", NAMES));
    }
    try (InputStream in = ShippedProfiles.class.getResourceAsStream("profiles/" + name + ".yml")) {
      if (in == null) {
        throw new IllegalStateException("profiles/" + name + ".yml is missing from the jar");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
