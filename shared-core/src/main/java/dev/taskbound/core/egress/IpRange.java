package dev.taskbound.core.egress;

import dev.taskbound.core.SafeText;
import java.net.InetAddress;
import java.util.Arrays;

/**
 * A CIDR block ({@code 10.0.0.0/8}, {@code fd00::/8}), canonical: the network address with no host
 * bits set, in {@link IpLiteral}'s spelling. Too-broad blocks are refused like {@code *}: IPv4
 * prefixes shorter than {@code /8} and IPv6 prefixes shorter than {@code /7}. Immutable.
 */
public final class IpRange {
  static final int MIN_IPV4_PREFIX = 8;
  static final int MIN_IPV6_PREFIX = 7;

  private final IpLiteral network;
  private final int prefix;

  private IpRange(IpLiteral network, int prefix) {
    this.network = network;
    this.prefix = prefix;
  }

  /**
   * Parses {@code address/prefix} (IPv6 with or without brackets around the whole block).
   *
   * @throws EgressRuleException if the address or prefix is malformed, the block is too broad, or
   *     host bits are set (the message names the network that was probably meant)
   */
  public static IpRange parse(String text) {
    return parse(text, true);
  }

  /** For built-in tables that name blocks broader than a policy may (224.0.0.0/4). */
  static IpRange parseAnyBreadth(String text) {
    return parse(text, false);
  }

  private static IpRange parse(String text, boolean checkBreadth) {
    String t = text.strip();
    if (t.startsWith("[") && t.endsWith("]")) {
      t = t.substring(1, t.length() - 1);
    }
    int slash = t.indexOf('/');
    if (slash < 0) {
      throw new EgressRuleException(SafeText.quoted(text) + " is not a CIDR block; accepted: address/prefix such as 10.0.0.0/8");
    }
    String addr = t.substring(0, slash);
    String len = t.substring(slash + 1);
    IpLiteral ip = addr.isEmpty() ? null : IpLiteral.tryParse(addr.contains(":") ? "[" + addr + "]" : addr);
    if (ip == null) {
      throw new EgressRuleException("CIDR block " + SafeText.quoted(text) + ": " + SafeText.quoted(addr) + " is not an IP address");
    }
    int bits = ip.isIpv6() ? 128 : 32;
    int min = ip.isIpv6() ? MIN_IPV6_PREFIX : MIN_IPV4_PREFIX;
    int prefix;
    try {
      prefix = len.chars().allMatch(Character::isDigit) && !len.isEmpty() && len.length() <= 3 ? Integer.parseInt(len) : -1;
    } catch (NumberFormatException e) {
      prefix = -1;
    }
    if (prefix < 0 || prefix > bits) {
      throw new EgressRuleException("CIDR block " + SafeText.quoted(text) + ": prefix " + SafeText.quoted(len) + " is not a number from 0 to " + bits);
    }
    if (checkBreadth && prefix < min) {
      throw new EgressRuleException(
          "CIDR block " + SafeText.quoted(text) + " is too broad; accepted: a prefix of at least /" + min + " for "
              + (ip.isIpv6() ? "IPv6" : "IPv4"));
    }
    byte[] masked = mask(ip.address().getAddress(), prefix);
    IpLiteral network = IpLiteral.of(address(masked));
    if (!Arrays.equals(masked, ip.address().getAddress())) {
      throw new EgressRuleException(
          "CIDR block " + SafeText.quoted(text) + " has host bits set; write the network address, as in " + network + "/" + prefix);
    }
    return new IpRange(network, prefix);
  }

  private static InetAddress address(byte[] b) {
    try {
      return InetAddress.getByAddress(b);
    } catch (java.net.UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  /**
   * The network of {@code address} under a {@code prefix}-bit mask (the bits past the prefix
   * cleared), as a new array; used where building a range per lookup would cost too much.
   */
  public static byte[] mask(byte[] address, int prefix) {
    byte[] out = address.clone();
    for (int i = 0; i < out.length; i++) {
      int keep = Math.max(0, Math.min(8, prefix - 8 * i));
      out[i] = (byte) (out[i] & (0xff << (8 - keep)));
    }
    return out;
  }

  /** Whether the address lies in this block (an IPv4 address never lies in an IPv6 block). */
  public boolean contains(InetAddress address) {
    byte[] a = IpLiteral.of(address).address().getAddress();
    byte[] n = network.address().getAddress();
    return a.length == n.length && Arrays.equals(mask(a, prefix), n);
  }

  /** Whether every address of {@code other} lies in this block. */
  public boolean contains(IpRange other) {
    return other.prefix >= prefix && contains(other.network.address());
  }

  public IpLiteral network() {
    return network;
  }

  public int prefix() {
    return prefix;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof IpRange && ((IpRange) o).prefix == prefix && ((IpRange) o).network.equals(network);
  }

  @Override
  public int hashCode() {
    return network.hashCode() * 31 + prefix;
  }

  /** {@code 10.0.0.0/8} or {@code fd00::/8} (no brackets). */
  @Override
  public String toString() {
    return network + "/" + prefix;
  }
}
