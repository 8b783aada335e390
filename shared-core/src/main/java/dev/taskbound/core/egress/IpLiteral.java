package dev.taskbound.core.egress;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * Recognises IP literals in rules and requests without ever touching DNS. Only the dotted-quad IPv4
 * form and bracketed (or bare) IPv6 are recognised here; zone ids are refused.
 */
final class IpLiteral {
  private static final Pattern DOTTED_QUAD =
      Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
  private static final Pattern IPV6_CHARS = Pattern.compile("[0-9a-fA-F:.]+");

  private final InetAddress address;

  private IpLiteral(InetAddress address) {
    this.address = address;
  }

  /** The literal, or {@code null} when the text is a name rather than an IP literal. */
  static IpLiteral tryParse(String text) {
    String t = text;
    boolean bracketed = t.startsWith("[") && t.endsWith("]");
    if (bracketed) {
      t = t.substring(1, t.length() - 1);
    }
    if (t.contains("%")) {
      throw new EgressRuleException("address '" + text + "' has a zone id; zone ids are not accepted");
    }
    if (!bracketed && DOTTED_QUAD.matcher(t).matches()) {
      return new IpLiteral(forLiteral(t));
    }
    if (t.contains(":") && IPV6_CHARS.matcher(t).matches()) {
      return new IpLiteral(forLiteral(t));
    }
    if (bracketed) {
      throw new EgressRuleException("'" + text + "' is not a valid IPv6 address");
    }
    return null;
  }

  private static InetAddress forLiteral(String literal) {
    try {
      // getByName does not resolve when given a literal; the patterns above guarantee one.
      return InetAddress.getByName(literal);
    } catch (UnknownHostException e) {
      throw new EgressRuleException("'" + literal + "' is not a valid IP address");
    }
  }

  InetAddress address() {
    return address;
  }

  @Override
  public String toString() {
    return address.getHostAddress();
  }
}
