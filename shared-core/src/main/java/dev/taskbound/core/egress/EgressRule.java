package dev.taskbound.core.egress;

import dev.taskbound.core.SafeText;
import java.util.Objects;

/**
 * One egress rule: a {@link HostPattern} and a port, written {@code host[:port]} with port 443
 * when omitted ({@code api.github.com}, {@code *.npmjs.org:443}, {@code 127.0.0.1:8080},
 * {@code [::1]:8443}). Immutable, compared by value; {@link #toString()} round-trips through
 * {@link #parse}.
 */
public final class EgressRule {
  /** The port a rule without {@code :port} applies to. */
  public static final int DEFAULT_PORT = 443;

  /** A host pattern's limit plus room for {@code :port}. */
  static final int MAX_RULE_LENGTH = HostPattern.MAX_PATTERN_LENGTH + 6;

  private final HostPattern host;
  private final int port;

  private EgressRule(HostPattern host, int port) {
    this.host = host;
    this.port = port;
  }

  public static EgressRule of(HostPattern host, int port) {
    checkPort(String.valueOf(port), port);
    return new EgressRule(Objects.requireNonNull(host, "host"), port);
  }

  /**
   * Parses {@code host[:port]}.
   *
   * @throws EgressRuleException if the host pattern or the port is malformed; the message quotes
   *     the rule and lists the accepted forms
   */
  public static EgressRule parse(String text) {
    Objects.requireNonNull(text, "text");
    String t = text.strip();
    if (t.length() > MAX_RULE_LENGTH) {
      throw new EgressRuleException("rule " + SafeText.quoted(text) + " is " + t.length() + " characters long;"
          + " accepted: at most " + MAX_RULE_LENGTH);
    }
    String hostPart = t;
    int port = DEFAULT_PORT;
    int colon = t.lastIndexOf(':');
    boolean bracketed = t.startsWith("[");
    if (bracketed) {
      int close = t.indexOf(']');
      if (close < 0) {
        throw new EgressRuleException("rule " + SafeText.quoted(text) + ": missing ']' after the IPv6 address");
      }
      hostPart = t.substring(0, close + 1);
      String rest = t.substring(close + 1);
      if (!rest.isEmpty()) {
        if (!rest.startsWith(":")) {
          throw new EgressRuleException("rule " + SafeText.quoted(text) + ": expected ':port' after ']'");
        }
        port = parsePort(text, rest.substring(1));
      }
    } else if (colon >= 0 && t.indexOf(':') == colon) {
      hostPart = t.substring(0, colon);
      port = parsePort(text, t.substring(colon + 1));
    } else if (colon >= 0) {
      throw new EgressRuleException(
          "rule " + SafeText.quoted(text) + ": write IPv6 addresses in brackets, as in [2001:db8::1]:443");
    }
    try {
      return new EgressRule(HostPattern.parse(hostPart), port);
    } catch (EgressRuleException e) {
      throw new EgressRuleException("rule " + SafeText.quoted(text) + ": " + e.getMessage());
    }
  }

  private static int parsePort(String rule, String text) {
    int port;
    try {
      port = Integer.parseInt(text);
    } catch (NumberFormatException e) {
      throw new EgressRuleException(
          "rule " + SafeText.quoted(rule) + ": port " + SafeText.quoted(text) + " is not a number; accepted: 1-65535");
    }
    checkPort(rule, port);
    return port;
  }

  private static void checkPort(String rule, int port) {
    if (port < 1 || port > 65535) {
      throw new EgressRuleException("rule " + SafeText.quoted(rule) + ": port " + port + " is out of range; accepted: 1-65535");
    }
  }

  public HostPattern host() {
    return host;
  }

  public int port() {
    return port;
  }

  /** Whether a request to {@code canonicalHost:port} is matched by this rule. */
  public boolean matches(String canonicalHost, int port) {
    return this.port == port && host.matches(canonicalHost);
  }

  /** Whether this rule allows everything {@code narrower} allows. */
  public boolean covers(EgressRule narrower) {
    return port == narrower.port && host.covers(narrower.host);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof EgressRule && ((EgressRule) o).port == port && ((EgressRule) o).host.equals(host);
  }

  @Override
  public int hashCode() {
    return host.hashCode() * 31 + port;
  }

  @Override
  public String toString() {
    return host + ":" + port;
  }
}
