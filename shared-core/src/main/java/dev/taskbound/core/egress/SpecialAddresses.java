package dev.taskbound.core.egress;

import java.net.InetAddress;
import java.util.List;
import java.util.Optional;

/**
 * Classifies addresses the gateway must not dial by default. IPv4-mapped, IPv4-compatible, SIIT
 * ({@code ::ffff:0:0:0/96}), NAT64 ({@code 64:ff9b::/96}, and the local-use {@code 64:ff9b:1::/48}
 * under every layout it allows) and 6to4 ({@code 2002::/16}) IPv6 addresses are classified by the IPv4
 * address they carry, so {@code ::ffff:169.254.169.254} is a metadata address too. Stateless.
 */
public final class SpecialAddresses {
  /** What an address is, for the guard's message ({@code address 127.0.0.1 is loopback}). */
  public enum Kind {
    /** A cloud metadata endpoint: always refused, whatever the policy says. */
    METADATA("a cloud metadata address"),
    LOOPBACK("loopback"),
    PRIVATE("private (RFC 1918)"),
    SHARED("shared address space (CGNAT, 100.64.0.0/10)"),
    LINK_LOCAL("link-local"),
    UNIQUE_LOCAL("unique-local (fc00::/7)"),
    UNSPECIFIED("unspecified"),
    MULTICAST("multicast"),
    BROADCAST("broadcast");

    private final String text;

    Kind(String text) {
      this.text = text;
    }

    /** How the guard's message names it. */
    public String text() {
      return text;
    }
  }

  /**
   * The metadata addresses: AWS/GCP/Azure/OpenStack IMDS 169.254.169.254, AWS IMDS over IPv6
   * fd00:ec2::254, Alibaba 100.100.100.200, Azure wire server 168.63.129.16, ECS task metadata
   * 169.254.170.2, Oracle 192.0.0.192.
   */
  public static final List<IpLiteral> METADATA =
      List.of(
          IpLiteral.parse("169.254.169.254"),
          IpLiteral.parse("fd00:ec2::254"),
          IpLiteral.parse("100.100.100.200"),
          IpLiteral.parse("168.63.129.16"),
          IpLiteral.parse("169.254.170.2"),
          IpLiteral.parse("192.0.0.192"));

  private static final List<Range> RANGES =
      List.of(
          new Range("127.0.0.0/8", Kind.LOOPBACK),
          new Range("[::1/128]", Kind.LOOPBACK),
          new Range("10.0.0.0/8", Kind.PRIVATE),
          new Range("172.16.0.0/12", Kind.PRIVATE),
          new Range("192.168.0.0/16", Kind.PRIVATE),
          new Range("[fec0::/10]", Kind.PRIVATE),
          new Range("100.64.0.0/10", Kind.SHARED),
          new Range("169.254.0.0/16", Kind.LINK_LOCAL),
          new Range("[fe80::/10]", Kind.LINK_LOCAL),
          new Range("[fc00::/7]", Kind.UNIQUE_LOCAL),
          new Range("0.0.0.0/8", Kind.UNSPECIFIED),
          new Range("[::/128]", Kind.UNSPECIFIED),
          new Range("224.0.0.0/4", Kind.MULTICAST),
          new Range("[ff00::/8]", Kind.MULTICAST),
          new Range("255.255.255.255/32", Kind.BROADCAST));

  private record Range(IpRange range, Kind kind) {
    Range(String cidr, Kind kind) {
      this(parseUnchecked(cidr), kind);
    }
  }

  private SpecialAddresses() {}

  private static IpRange parseUnchecked(String cidr) {
    return IpRange.parseAnyBreadth(cidr);
  }

  /**
   * What the address is, or empty for an ordinary public address. Metadata wins over every other
   * kind (169.254.169.254 is {@code METADATA}, not {@code LINK_LOCAL}).
   */
  public static Optional<Kind> classify(InetAddress address) {
    IpLiteral ip = IpLiteral.of(address);
    Optional<Kind> k = classifyOne(ip.address());
    if (k.isPresent()) {
      return k;
    }
    byte[] b = ip.address().getAddress();
    if (b.length == 16 && embedsIpv4(b)) {
      int off = b[0] == 0x20 && b[1] == 0x02 ? 2 : 12;
      return classifyOne(IpLiteral.of(v4(b[off], b[off + 1], b[off + 2], b[off + 3])).address());
    }
    if (b.length == 16 && localUseNat64(b)) {
      return localUseCarried(b);
    }
    return Optional.empty();
  }

  /** The local-use NAT64 prefix 64:ff9b:1::/48 (RFC 8215), whose operator picks the layout. */
  private static boolean localUseNat64(byte[] b) {
    return b[0] == 0 && b[1] == 0x64 && b[2] == (byte) 0xff && b[3] == (byte) 0x9b && b[4] == 0 && b[5] == 1;
  }

  /**
   * The strictest reading of a local-use NAT64 address: the IPv4 address it carries under each
   * RFC 6052 layout a /48 allows (prefix /48, /56, /64, /96; byte 8 is the reserved u-octet), the
   * metadata kind first, so no layout can smuggle 169.254.169.254 past the guard.
   */
  private static Optional<Kind> localUseCarried(byte[] b) {
    int[][] layouts = {{6, 7, 9, 10}, {7, 9, 10, 11}, {9, 10, 11, 12}, {12, 13, 14, 15}};
    Optional<Kind> found = Optional.empty();
    for (int[] at : layouts) {
      Optional<Kind> k = classifyOne(IpLiteral.of(v4(b[at[0]], b[at[1]], b[at[2]], b[at[3]])).address());
      if (k.filter(kind -> kind == Kind.METADATA).isPresent()) {
        return k;
      }
      found = found.or(() -> k);
    }
    return found;
  }

  /**
   * A metadata address inside {@code range}, or empty. For an IPv6 block this includes the IPv6
   * forms that carry a metadata IPv4 address and that {@link #classify} treats as it
   * (IPv4-compatible {@code ::a.b.c.d}, NAT64 {@code 64:ff9b::a.b.c.d}, 6to4
   * {@code 2002:aabb:ccdd::/48}), so {@code [64:ff9b::/96]} names 169.254.169.254 too. Two CIDR
   * blocks either nest or are disjoint, so overlap is containment one way or the other.
   */
  public static Optional<IpLiteral> metadataIn(IpRange range) {
    for (IpLiteral m : METADATA) {
      if (range.contains(m.address())) {
        return Optional.of(m);
      }
      if (!m.isIpv6() && range.network().isIpv6()) {
        for (IpRange carrier : carriersOf(m.address().getAddress())) {
          if (range.contains(carrier) || carrier.contains(range)) {
            return Optional.of(m);
          }
        }
      }
    }
    return Optional.empty();
  }

  /** The IPv6 blocks whose addresses {@link #classify} reads as the IPv4 address {@code v4}. */
  private static List<IpRange> carriersOf(byte[] v4) {
    String dotted = (v4[0] & 0xff) + "." + (v4[1] & 0xff) + "." + (v4[2] & 0xff) + "." + (v4[3] & 0xff);
    String sixToFour = String.format("2002:%02x%02x:%02x%02x::", v4[0] & 0xff, v4[1] & 0xff, v4[2] & 0xff, v4[3] & 0xff);
    return List.of(
        IpRange.parseAnyBreadth("[::" + dotted + "/128]"),
        IpRange.parseAnyBreadth("[::ffff:0:" + dotted + "/128]"), // SIIT IPv4-translated (RFC 7915)
        IpRange.parseAnyBreadth("[64:ff9b::" + dotted + "/128]"),
        IpRange.parseAnyBreadth("[64:ff9b:1::" + dotted + "/128]"), // local-use NAT64, /96 layout
        IpRange.parseAnyBreadth("[" + sixToFour + "/48]"));
  }

  private static Optional<Kind> classifyOne(InetAddress a) {
    IpLiteral ip = IpLiteral.of(a);
    if (METADATA.contains(ip)) {
      return Optional.of(Kind.METADATA);
    }
    for (Range r : RANGES) {
      if (r.range().contains(a)) {
        return Optional.of(r.kind());
      }
    }
    return Optional.empty();
  }

  /** IPv4-compatible ::a.b.c.d, SIIT ::ffff:0:a.b.c.d, NAT64 64:ff9b::/96, or 6to4 2002::/16. */
  private static boolean embedsIpv4(byte[] b) {
    if (b[0] == 0x20 && b[1] == 0x02) {
      return true;
    }
    boolean nat64 = b[0] == 0 && b[1] == 0x64 && b[2] == (byte) 0xff && b[3] == (byte) 0x9b;
    boolean siit = !nat64 && b[8] == (byte) 0xff && b[9] == (byte) 0xff;
    for (int i = nat64 ? 4 : 0; i < 12; i++) {
      if (b[i] != 0 && !(siit && (i == 8 || i == 9))) {
        return false;
      }
    }
    return true;
  }

  private static InetAddress v4(byte a, byte b, byte c, byte d) {
    try {
      return InetAddress.getByAddress(new byte[] {a, b, c, d});
    } catch (java.net.UnknownHostException e) {
      throw new AssertionError(e);
    }
  }
}
