package dev.taskbound.core.egress;

import dev.taskbound.core.SafeText;
import java.net.IDN;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The host part of an egress rule, canonicalised: an exact name ({@code api.github.com}), a strict
 * subdomain wildcard ({@code *.npmjs.org}: any name below, not the apex), an apex-and-subdomains
 * wildcard ({@code **.npmjs.org}), an IP literal ({@code 127.0.0.1}, {@code [::1]}) or a CIDR block
 * ({@code 10.0.0.0/8}, {@code [fd00::/8]}). IP literals are canonicalised by {@link IpLiteral}
 * (every IPv4 spelling, IPv4-mapped IPv6, RFC 5952).
 *
 * <p>Names are lower-cased, lose a trailing dot and are converted from IDN to ASCII. A wildcard is
 * only accepted as the whole leftmost label, and never over a top-level domain or another public
 * suffix alone ({@link PublicSuffixes}), so {@code *}, {@code *.com}, {@code *.co.uk} and
 * {@code api.*.com} are refused. Instances are immutable and compare by value;
 * {@link #toString()} gives back a string that {@link #parse} accepts.
 */
public final class HostPattern {
  /** How a pattern matches names. */
  public enum Kind {
    EXACT,
    SUBDOMAINS,
    APEX_AND_SUBDOMAINS,
    IP,
    /** A CIDR block such as {@code 10.0.0.0/8}: matches IP-literal requests inside it. */
    CIDR
  }

  static final String ACCEPTED =
      "accepted: host.example.com, *.example.com (subdomains only), **.example.com (apex and"
          + " subdomains), an IPv4 address, a bracketed IPv6 address, or a CIDR block such as 10.0.0.0/8";

  /** Longer than any name (253), IPv6 literal or CIDR block; checked before any other work. */
  static final int MAX_PATTERN_LENGTH = 300;

  private static final Pattern LABEL = Pattern.compile("[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?");

  private final Kind kind;
  private final String value;
  private final IpRange range;

  private HostPattern(Kind kind, String value) {
    this.kind = kind;
    this.value = value;
    this.range = kind == Kind.CIDR ? IpRange.parse(value) : null;
  }

  /**
   * Parses and canonicalises a host pattern.
   *
   * @throws EgressRuleException if the text is not one of the accepted forms; the message quotes it
   */
  public static HostPattern parse(String text) {
    Objects.requireNonNull(text, "text");
    String trimmed = text.strip();
    if (trimmed.length() > MAX_PATTERN_LENGTH) {
      throw new EgressRuleException("host pattern " + SafeText.quoted(text) + " is " + trimmed.length()
          + " characters long; accepted: at most " + MAX_PATTERN_LENGTH);
    }
    if (trimmed.isEmpty()) {
      throw new EgressRuleException("empty host pattern; " + ACCEPTED);
    }
    if (trimmed.equals("*") || trimmed.equals("**")) {
      throw new EgressRuleException(
          "host pattern " + SafeText.quoted(text) + " matches every host; name the hosts, such as *.example.com or"
              + " **.example.com");
    }
    if (trimmed.contains("/")) {
      return new HostPattern(Kind.CIDR, IpRange.parse(trimmed).toString());
    }
    if (trimmed.startsWith("**.")) {
      return new HostPattern(Kind.APEX_AND_SUBDOMAINS, wildcardBase(text, trimmed.substring(3)));
    }
    if (trimmed.startsWith("*.")) {
      return new HostPattern(Kind.SUBDOMAINS, wildcardBase(text, trimmed.substring(2)));
    }
    IpLiteral ip = IpLiteral.tryParse(trimmed);
    if (ip != null) {
      return new HostPattern(Kind.IP, ip.toString());
    }
    if (trimmed.contains("*")) {
      throw new EgressRuleException(
          "host pattern " + SafeText.quoted(text) + ": a wildcard may only be the whole leftmost label; " + ACCEPTED);
    }
    return new HostPattern(Kind.EXACT, canonicalName(text, trimmed));
  }

  private static String wildcardBase(String original, String base) {
    if (base.contains("/") || IpLiteral.tryParse(base) != null) {
      throw new EgressRuleException(
          "host pattern " + SafeText.quoted(original) + ": a wildcard applies to names, not addresses; write an IP address or a"
              + " CIDR block such as 10.0.0.0/8 without '*'");
    }
    String name = canonicalName(original, base);
    if (!name.contains(".")) {
      throw new EgressRuleException(
          "host pattern '"
              + original
              + "' matches a whole top-level domain; name at least a registrable domain such as"
              + " *.example.com");
    }
    if (PublicSuffixes.isIcannSuffix(name)) {
      throw new EgressRuleException(
          "host pattern '"
              + original
              + "' matches every domain under the public suffix "
              + name
              + ", where anyone can register one; name at least a registrable domain such as *.example."
              + name);
    }
    if (PublicSuffixes.hasIcannSuffixesBelow(name)) {
      throw new EgressRuleException("host pattern '" + original + "' matches domains under the public suffixes *."
          + name + ", where anyone can register one; name at least a registrable domain such as *.example.example."
          + name);
    }
    return name;
  }

  /**
   * Canonicalises a host name the way every rule and request is compared: lower case, no trailing
   * dot, IDN converted to ASCII, each label checked.
   *
   * @throws EgressRuleException if the name is malformed
   */
  public static String canonicalName(String original, String name) {
    if (name.contains("%")) {
      throw new EgressRuleException("address " + SafeText.quoted(original) + " has a zone id; zone ids are not accepted");
    }
    if (name.length() > MAX_PATTERN_LENGTH) {
      throw new EgressRuleException("host " + SafeText.quoted(original) + " is longer than 253 characters");
    }
    String n = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
    if (n.isEmpty() || n.contains("*")) {
      throw new EgressRuleException("host " + SafeText.quoted(original) + " is not a valid name; " + ACCEPTED);
    }
    refuseInvisible(original, n);
    refuseDeviations(original, n);
    String ascii;
    try {
      ascii = (isPlainLdhName(n) ? n : IDN.toASCII(n, IDN.USE_STD3_ASCII_RULES)).toLowerCase(Locale.ROOT);
    } catch (IllegalArgumentException e) {
      throw new EgressRuleException(
          "host " + SafeText.quoted(original) + " is not a valid internationalised name (" + e.getMessage() + ")");
    }
    if (ascii.length() > 253) {
      throw new EgressRuleException("host " + SafeText.quoted(original) + " is longer than 253 characters");
    }
    for (String label : ascii.split("\\.", -1)) {
      if (label.startsWith("xn--")) {
        checkPunycode(original, label);
      }
      if (!LABEL.matcher(label).matches()) {
        throw new EgressRuleException(
            "host '"
                + original
                + "' has an invalid label '"
                + label
                + "'; labels are 1-63 of a-z, 0-9, '-', '_' and do not start or end with '-'");
      }
    }
    return ascii;
  }

  /**
   * Whether {@code name} is letters, digits and hyphens in labels of 1-63 characters that neither
   * start nor end with a hyphen: {@link IDN#toASCII} returns such a name unchanged, so it is not
   * called (its class loads the IDNA tables, ~10 ms of every run's policy).
   */
  private static boolean isPlainLdhName(String name) {
    int labelStart = 0;
    for (int i = 0; i <= name.length(); i++) {
      char c = i == name.length() ? '.' : name.charAt(i);
      if (c == '.') {
        int length = i - labelStart;
        if (length == 0 || length > 63 || name.charAt(labelStart) == '-' || name.charAt(i - 1) == '-') {
          return false;
        }
        labelStart = i + 1;
      } else if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-')) {
        return false;
      }
    }
    return true;
  }

  /**
   * IDNA's nameprep silently deletes some characters (zero-width joiner and non-joiner, soft hyphen,
   * variation selectors, byte order mark), so {@code a\u200db.example.com} would become
   * {@code ab.example.com}: a rule that reads as one name would match another. They are refused.
   */
  private static void refuseInvisible(String original, String name) {
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      int type = Character.getType(c);
      boolean invisible = type == Character.FORMAT || type == Character.CONTROL || type == Character.SPACE_SEPARATOR
          || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR
          || c == '\u034f' || c == '\u1806' || c >= '\u180b' && c <= '\u180d' || c >= '\ufe00' && c <= '\ufe0f'
          || Character.isSurrogate(c) && Character.isHighSurrogate(c) && i + 1 < name.length()
              && isVariationSelectorSupplement(name.codePointAt(i));
      if (invisible) {
        throw new EgressRuleException("host " + SafeText.quoted(original) + " contains the invisible or control"
            + " character " + String.format("U+%04X", name.codePointAt(i)) + " at position " + (i + 1)
            + "; accepted: visible characters only");
      }
    }
  }

  /**
   * IDNA2003 (what {@link IDN} implements) maps {@code ß} to {@code ss} and {@code ς} to {@code σ};
   * IDNA2008, which browsers, curl and registries use, keeps them: {@code faß.de} is
   * {@code xn--fa-hia.de} there and {@code fass.de} here, two different domains. A rule naming one
   * must not allow the other, so names with these characters are refused. (Their IDNA2008 A-labels
   * fail {@link #checkPunycode}'s round trip, so they are refused in that form too.)
   */
  private static void refuseDeviations(String original, String name) {
    int at = indexOfDeviation(name);
    if (at >= 0) {
      throw new EgressRuleException("host " + SafeText.quoted(original) + " contains "
          + String.format("U+%04X", name.codePointAt(at)) + " ('" + name.charAt(at) + "'), which IDNA2003 and"
          + " IDNA2008 encode as different domains; accepted: names without U+00DF (\u00df) and U+03C2 (\u03c2)");
    }
  }

  private static int indexOfDeviation(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) == '\u00df' || s.charAt(i) == '\u03c2') {
        return i;
      }
    }
    return -1;
  }

  private static boolean isVariationSelectorSupplement(int codePoint) {
    return codePoint >= 0xe0100 && codePoint <= 0xe01ef || codePoint >= 0xe0000 && codePoint <= 0xe007f;
  }

  /**
   * An {@code xn--} label must be valid Punycode that decodes to a name whose encoding is the label
   * again; {@link IDN#toUnicode} returns its input unchanged exactly when that fails.
   */
  private static void checkPunycode(String original, String label) {
    String unicode = IDN.toUnicode(label, IDN.USE_STD3_ASCII_RULES);
    boolean valid = !unicode.equals(label);
    if (valid) {
      try {
        valid = IDN.toASCII(unicode, IDN.USE_STD3_ASCII_RULES).equalsIgnoreCase(label);
      } catch (IllegalArgumentException e) {
        valid = false;
      }
    }
    if (!valid) {
      throw new EgressRuleException("host " + SafeText.quoted(original) + " has the label " + SafeText.quoted(label)
          + ", which is not valid Punycode; accepted: an xn-- label that decodes to a Unicode name, or the Unicode"
          + " name itself");
    }
  }

  public Kind kind() {
    return kind;
  }

  /** The canonical name, wildcard base, IP literal or CIDR block (IPv6 without brackets). */
  public String value() {
    return value;
  }

  /** Whether a canonical host (as produced by {@link #canonicalName} or an IP literal) matches. */
  public boolean matches(String canonicalHost) {
    switch (kind) {
      case CIDR:
        IpLiteral ip = IpLiteral.tryParse(canonicalHost.contains(":") ? "[" + canonicalHost + "]" : canonicalHost);
        return ip != null && range.contains(ip.address());
      case EXACT:
      case IP:
        return value.equals(canonicalHost);
      case SUBDOMAINS:
        return canonicalHost.endsWith("." + value);
      case APEX_AND_SUBDOMAINS:
        return canonicalHost.equals(value) || canonicalHost.endsWith("." + value);
      default:
        throw new AssertionError(kind);
    }
  }

  /**
   * Whether this pattern matches every host that {@code narrower} matches, which is what narrowing
   * requires of a rule written below a ceiling.
   */
  public boolean covers(HostPattern narrower) {
    String b = narrower.value;
    boolean atOrBelow = b.equals(value) || b.endsWith("." + value);
    switch (narrower.kind) {
      case EXACT:
        return kind != Kind.CIDR && matches(b);
      case IP:
        return matches(b);
      case CIDR:
        return kind == Kind.CIDR && range.contains(narrower.range);
      case SUBDOMAINS:
        if (kind == Kind.CIDR) {
          return false;
        }
        return (kind == Kind.SUBDOMAINS || kind == Kind.APEX_AND_SUBDOMAINS) && atOrBelow;
      case APEX_AND_SUBDOMAINS:
        if (kind == Kind.CIDR) {
          return false;
        }
        return kind == Kind.APEX_AND_SUBDOMAINS && atOrBelow
            || kind == Kind.SUBDOMAINS && b.endsWith("." + value);
      default:
        throw new AssertionError(narrower.kind);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof HostPattern && ((HostPattern) o).kind == kind && ((HostPattern) o).value.equals(value);
  }

  @Override
  public int hashCode() {
    return kind.hashCode() * 31 + value.hashCode();
  }

  @Override
  public String toString() {
    switch (kind) {
      case SUBDOMAINS:
        return "*." + value;
      case APEX_AND_SUBDOMAINS:
        return "**." + value;
      case IP:
      case CIDR:
        return value.contains(":") ? "[" + value + "]" : value;
      default:
        return value;
    }
  }
}
