package dev.taskbound.core.cli;

import java.util.Optional;

/**
 * Which locale data a command's JVM uses. On JDK 17 to 20 the process takes the JDK's own ("COMPAT")
 * locale data instead of the default CLDR's: Jackson's first use (its RFC 1123 date format) makes
 * the CLDR provider read the list of every locale in {@code jdk.localedata}, about 80 ms of CPU per
 * run ({@code bench/README.md}, "Start-up, third pass"). Taskbound formats nothing locale-dependent
 * (timestamps and numbers are ASCII digits, pinned patterns), so its output is the same with either.
 * JDK 21 warns that COMPAT will go and JDK 23 removed it: there the default stays.
 */
final class StartupLocaleData {
  static final String PROPERTY = "java.locale.providers";
  private static final int LAST_FEATURE_WITH_COMPAT = 20;

  private StartupLocaleData() {}

  /**
   * The providers to set for a JVM of {@code feature} (its {@link Runtime.Version#feature()}) whose
   * {@value #PROPERTY} is {@code current} (null when unset); empty to leave it as it is. A value
   * someone set (as a JVM option) is never replaced.
   */
  static Optional<String> providersFor(int feature, String current) {
    if (current != null || feature > LAST_FEATURE_WITH_COMPAT) {
      return Optional.empty();
    }
    return Optional.of("COMPAT");
  }

  /** Sets the providers for this JVM; called once, first thing in {@link Main#main}. */
  static void applyToThisJvm() {
    Optional<String> providers = providersFor(Runtime.version().feature(), System.getProperty(PROPERTY));
    if (providers.isPresent()) { // no lambda: its bootstrap would cost more than this saves
      System.setProperty(PROPERTY, providers.get());
    }
  }
}
