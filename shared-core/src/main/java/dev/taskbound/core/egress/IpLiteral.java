package dev.taskbound.core.egress;

import dev.taskbound.core.SafeText;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Recognises IP literals in rules and requests without ever touching DNS, and canonicalises them so
 * that one address has one spelling:
 *
 * <ul>
 *   <li>every IPv4 spelling that resolvers accept ({@code inet_aton}): dotted quad, decimal
 *       {@code 2130706433}, hex {@code 0x7f.1}, octal {@code 0177.0.0.1}, short {@code 127.1},
 *       becomes the dotted quad {@code 127.0.0.1};
 *   <li>IPv6 ({@code [::1]} or bare) becomes its RFC 5952 form ({@code ::1}); an IPv4-mapped IPv6
 *       address ({@code ::ffff:127.0.0.1}) becomes the plain IPv4 address;
 *   <li>zone ids ({@code fe80::1%eth0}) are refused.
 * </ul>
 *
 * A host whose last label is a number but which is not a valid IPv4 spelling ({@code 1.2.3.256},
 * {@code example.123}) is refused rather than treated as a name, as browsers do. Immutable.
 */
public final class IpLiteral {
  private static final Pattern IPV4_PART = Pattern.compile("0[xX][0-9a-fA-F]*|[0-9]+");
  private static final Pattern IPV6_CHARS = Pattern.compile("[0-9a-fA-F:.]+");

  private final InetAddress address;

  private IpLiteral(InetAddress address) {
    this.address = address;
  }

  /**
   * The literal, or {@code null} when the text is a name rather than an IP literal.
   *
   * @throws EgressRuleException if the text looks like an address (numeric last label, brackets,
   *     a colon, a zone id) but is not a valid one
   */
  public static IpLiteral tryParse(String text) {
    String t = text;
    boolean bracketed = t.startsWith("[") && t.endsWith("]");
    if (bracketed) {
      t = t.substring(1, t.length() - 1);
    }
    if (t.contains("%")) {
      throw new EgressRuleException("address " + SafeText.quoted(text) + " has a zone id; zone ids are not accepted");
    }
    if (t.contains(":")) {
      if (!IPV6_CHARS.matcher(t).matches()) {
        throw new EgressRuleException(SafeText.quoted(text) + " is not a valid IPv6 address");
      }
      return new IpLiteral(forIpv6(text, t));
    }
    if (bracketed) {
      throw new EgressRuleException(SafeText.quoted(text) + " is not a valid IPv6 address");
    }
    String v4 = t.endsWith(".") ? t.substring(0, t.length() - 1) : t;
    String[] parts = v4.split("\\.", -1);
    if (!IPV4_PART.matcher(parts[parts.length - 1]).matches()) {
      return null;
    }
    return new IpLiteral(forIpv4(text, parts));
  }

  /**
   * Parses text that must be an IP literal.
   *
   * @throws EgressRuleException if it is not one; the message quotes it
   */
  public static IpLiteral parse(String text) {
    IpLiteral ip = tryParse(text.strip());
    if (ip == null) {
      throw new EgressRuleException(
          SafeText.quoted(text) + " is not an IP address; accepted: an IPv4 address such as 127.0.0.1 or an IPv6 address"
              + " such as ::1");
    }
    return ip;
  }

  /** The literal for an address (IPv4-mapped IPv6 becomes IPv4; the scope id is dropped). */
  public static IpLiteral of(InetAddress address) {
    byte[] b = address.getAddress();
    return new IpLiteral(fromBytes(b));
  }

  private static InetAddress forIpv4(String text, String[] parts) {
    if (parts.length > 4) {
      throw notIpv4(text, "more than four parts");
    }
    long[] values = new long[parts.length];
    for (int i = 0; i < parts.length; i++) {
      String p = parts[i];
      if (!IPV4_PART.matcher(p).matches()) {
        throw notIpv4(text, "part " + SafeText.quoted(p) + " is not a number");
      }
      try {
        if (p.length() > 2 && (p.startsWith("0x") || p.startsWith("0X"))) {
          values[i] = Long.parseLong(p.substring(2), 16);
        } else if (p.equalsIgnoreCase("0x")) {
          values[i] = 0;
        } else if (p.length() > 1 && p.startsWith("0")) {
          values[i] = Long.parseLong(p, 8);
        } else {
          values[i] = Long.parseLong(p);
        }
      } catch (NumberFormatException e) {
        throw notIpv4(text, "part " + SafeText.quoted(p) + " is not a valid number");
      }
    }
    long value = 0;
    for (int i = 0; i < values.length - 1; i++) {
      if (values[i] > 255) {
        throw notIpv4(text, "part '" + parts[i] + "' is above 255");
      }
      value |= values[i] << (8 * (3 - i));
    }
    long last = values[values.length - 1];
    int lastBytes = 5 - values.length;
    if (last >= 1L << (8 * lastBytes)) {
      throw notIpv4(text, "last part '" + parts[parts.length - 1] + "' is out of range");
    }
    value |= last;
    return fromBytes(new byte[] {(byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value});
  }

  private static EgressRuleException notIpv4(String text, String why) {
    return new EgressRuleException(
        SafeText.quoted(text) + " is not a valid IPv4 address (" + why + "); a host whose last label is a number must be an"
            + " IPv4 address such as 127.0.0.1");
  }

  private static InetAddress forIpv6(String text, String literal) {
    try {
      // getByName does not resolve when given a literal; IPV6_CHARS guarantees one.
      return fromBytes(InetAddress.getByName("[" + literal + "]").getAddress());
    } catch (UnknownHostException e) {
      throw new EgressRuleException(SafeText.quoted(text) + " is not a valid IPv6 address");
    }
  }

  /** Builds the address from raw bytes, turning IPv4-mapped IPv6 into IPv4 (no scope, no name). */
  private static InetAddress fromBytes(byte[] b) {
    byte[] bytes = b;
    if (b.length == 16 && isMapped(b)) {
      bytes = new byte[] {b[12], b[13], b[14], b[15]};
    }
    try {
      return bytes.length == 4 ? Inet4Address.getByAddress(bytes) : Inet6Address.getByAddress(null, bytes, null);
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  private static boolean isMapped(byte[] b) {
    for (int i = 0; i < 10; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return b[10] == (byte) 0xff && b[11] == (byte) 0xff;
  }

  /** The address (an {@link Inet4Address} for IPv4 and IPv4-mapped input). */
  public InetAddress address() {
    return address;
  }

  /** Whether this is an IPv6 address (after mapped addresses became IPv4). */
  public boolean isIpv6() {
    return address instanceof Inet6Address;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof IpLiteral && ((IpLiteral) o).address.equals(address);
  }

  @Override
  public int hashCode() {
    return address.hashCode();
  }

  /** The canonical spelling: dotted quad, or RFC 5952 IPv6 without brackets. */
  @Override
  public String toString() {
    return isIpv6() ? rfc5952(address.getAddress()) : address.getHostAddress();
  }

  /** RFC 5952: lower-case hex, no leading zeros, the longest run (2+) of zero groups as {@code ::}. */
  static String rfc5952(byte[] b) {
    int[] g = new int[8];
    for (int i = 0; i < 8; i++) {
      g[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
    }
    int bestStart = -1;
    int bestLen = 1;
    for (int i = 0; i < 8; ) {
      if (g[i] != 0) {
        i++;
        continue;
      }
      int j = i;
      while (j < 8 && g[j] == 0) {
        j++;
      }
      if (j - i > bestLen) {
        bestStart = i;
        bestLen = j - i;
      }
      i = j;
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        sb.append("::");
        i += bestLen - 1;
        continue;
      }
      if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
        sb.append(':');
      }
      sb.append(Integer.toHexString(g[i]));
    }
    return sb.toString().toLowerCase(Locale.ROOT);
  }
}
