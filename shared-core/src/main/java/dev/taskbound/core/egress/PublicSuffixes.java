package dev.taskbound.core.egress;

import java.io.IOException;
import java.io.InputStream;
import java.net.IDN;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Whether a name is a public suffix under which anyone may register a domain ({@code co.uk},
 * {@code com.au}, {@code pvt.k12.ma.us}), by the Public Suffix List the JDK itself ships and
 * updates ({@code lib/security/public_suffix_list.dat}). Only the list's ICANN section counts: its
 * private section names single companies' platforms ({@code github.io},
 * {@code githubusercontent.com}), which a rule may name on purpose.
 *
 * <p>The file is the one {@code sun.security.util.RegisteredDomain} reads: a zip with one entry per
 * top-level domain (named in Unicode), one rule per line, ICANN rules marked by a leading NUL byte.
 * That class matches a name against every rule of its top-level domain in turn (about 300 µs per
 * name under {@code .com}, whose private section is long), so the rules are read here into sets,
 * one top-level domain at a time as names need it: a lookup is a few hash probes. If the file is
 * missing or not in that form (checked on {@code co.uk}), {@link #unavailable()} says why and no
 * name counts as a suffix, so only the top-level-domain check of {@link HostPattern} applies.
 */
final class PublicSuffixes {
  private static final PublicSuffixes JDK =
      load(Path.of(System.getProperty("java.home"), "lib", "security", "public_suffix_list.dat"));

  /** The ICANN rules of one top-level domain: exact names, parents of {@code *.} rules, {@code !} exceptions. */
  private record Rules(Set<String> exact, Set<String> wildcardParents, Set<String> exceptions) {
    static final Rules NONE = new Rules(Set.of(), Set.of(), Set.of());
  }

  private final ZipFile list;
  private final String why;
  private final ConcurrentHashMap<String, Rules> byTld = new ConcurrentHashMap<>();

  private PublicSuffixes(ZipFile list, String why) {
    this.list = list;
    this.why = why;
  }

  /** Whether {@code name} (canonical: lower case, ASCII, no trailing dot) is an ICANN public suffix. */
  static boolean isIcannSuffix(String name) {
    return JDK.why == null && JDK.isSuffix(name);
  }

  /** Why the list cannot be read in this JVM, or empty when it can. */
  static Optional<String> unavailable() {
    return JDK.why();
  }

  /** Why this list cannot be read, or empty when it can. */
  Optional<String> why() {
    return Optional.ofNullable(why);
  }

  static PublicSuffixes load(Path file) {
    try {
      PublicSuffixes list = new PublicSuffixes(new ZipFile(file.toFile()), null);
      if (!list.isSuffix("co.uk") || list.isSuffix("example.co.uk")) {
        return new PublicSuffixes(null, "the JDK's public suffix list " + file + " is not in the form Taskbound reads");
      }
      return list;
    } catch (IOException | RuntimeException e) {
      return new PublicSuffixes(null, "cannot read the JDK's public suffix list " + file + " (" + e + ")");
    }
  }

  /**
   * Whether every name one label below {@code name} is an ICANN public suffix ({@code *.sch.uk},
   * {@code *.kawasaki.jp}): a wildcard over {@code name} then covers domains anyone can register,
   * though {@code name} itself is no suffix.
   */
  static boolean hasIcannSuffixesBelow(String name) {
    return JDK.why == null && JDK.isWildcardParent(name);
  }

  boolean isWildcardParent(String asciiName) {
    String name = IDN.toUnicode(asciiName, IDN.ALLOW_UNASSIGNED);
    return byTld.computeIfAbsent(name.substring(name.lastIndexOf('.') + 1), this::read).wildcardParents().contains(name);
  }

  boolean isSuffix(String asciiName) {
    String name = IDN.toUnicode(asciiName, IDN.ALLOW_UNASSIGNED);
    Rules rules = byTld.computeIfAbsent(name.substring(name.lastIndexOf('.') + 1), this::read);
    if (rules.exceptions().contains(name)) {
      return false;
    }
    int dot = name.indexOf('.');
    return rules.exact().contains(name) || dot > 0 && rules.wildcardParents().contains(name.substring(dot + 1));
  }

  private Rules read(String tld) {
    ZipEntry entry = list.getEntry(tld);
    if (entry == null) {
      return Rules.NONE;
    }
    String text;
    try (InputStream in = list.getInputStream(entry)) {
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the JDK's public suffix list for ." + tld + ": " + e, e);
    }
    Set<String> exact = new HashSet<>();
    Set<String> wildcard = new HashSet<>();
    Set<String> exceptions = new HashSet<>();
    for (String line : text.split("\n")) {
      if (line.isEmpty() || line.charAt(0) != '\0') {
        continue; // the private section
      }
      String rule = line.substring(1).strip();
      if (rule.startsWith("*.")) {
        wildcard.add(rule.substring(2));
      } else if (rule.startsWith("!")) {
        exceptions.add(rule.substring(1));
      } else if (!rule.isEmpty()) {
        exact.add(rule);
      }
    }
    return new Rules(Set.copyOf(exact), Set.copyOf(wildcard), Set.copyOf(exceptions));
  }
}
