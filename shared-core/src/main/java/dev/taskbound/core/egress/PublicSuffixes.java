package dev.taskbound.core.egress;

import java.lang.reflect.Method;
import java.util.Optional;

/**
 * Whether a name is a public suffix under which anyone may register a domain ({@code co.uk},
 * {@code com.au}, {@code pvt.k12.ma.us}), by the Public Suffix List the JDK itself ships and
 * updates ({@code lib/security/public_suffix_list.dat}, read through
 * {@code sun.security.util.RegisteredDomain}, which loads one top-level domain's rules at a time).
 * Only the list's ICANN section counts: its private section names single companies' platforms
 * ({@code github.io}, {@code githubusercontent.com}), which a rule may name on purpose.
 *
 * <p>The JDK class is not exported: the JVM needs {@code --add-exports
 * java.base/sun.security.util=ALL-UNNAMED} (the shaded jars' manifests give it). Without it
 * {@link #unavailable()} says why and no name counts as a suffix, so only the top-level-domain check
 * of {@link HostPattern} applies.
 */
final class PublicSuffixes {
  private static final Lookup LOOKUP = Lookup.load();

  private PublicSuffixes() {}

  /** Whether {@code name} (canonical: lower case, ASCII, no trailing dot) is an ICANN public suffix. */
  static boolean isIcannSuffix(String name) {
    return LOOKUP.why == null && LOOKUP.isIcannSuffix(name);
  }

  /** Why the list cannot be read in this JVM, or empty when it can. */
  static Optional<String> unavailable() {
    return Optional.ofNullable(LOOKUP.why);
  }

  private record Lookup(Method from, Method publicSuffix, Method type, String why) {
    static Lookup load() {
      try {
        Class<?> registered = Class.forName("sun.security.util.RegisteredDomain");
        Method from = registered.getMethod("from", String.class);
        from.invoke(null, "example.com"); // fails here if the package is not exported to us
        return new Lookup(from, registered.getMethod("publicSuffix"), registered.getMethod("type"), null);
      } catch (ReflectiveOperationException | RuntimeException e) {
        return new Lookup(null, null, null, "the JVM does not export java.base/sun.security.util to Taskbound (" + e + ")");
      }
    }

    boolean isIcannSuffix(String name) {
      try {
        // The registrable domain of a name one label below: its suffix is `name` exactly when
        // `name` is a public suffix.
        Optional<?> domain = (Optional<?>) from.invoke(null, "x." + name);
        if (domain.isEmpty()) {
          return false;
        }
        Object d = domain.get();
        return name.equals(publicSuffix.invoke(d)) && "ICANN".equals(String.valueOf(type.invoke(d)));
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("cannot read the JDK's public suffix list: " + e, e);
      }
    }
  }
}
