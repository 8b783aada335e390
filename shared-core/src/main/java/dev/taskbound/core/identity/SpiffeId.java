package dev.taskbound.core.identity;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A SPIFFE ID: {@code spiffe://<trust-domain><path>}. The trust domain is 1 to 255 characters of
 * lowercase {@code a-z 0-9 . _ -} (no port, no user info); the path is empty or a sequence of
 * {@code /segment}, each segment non-empty, not {@code .} or {@code ..}, of {@code A-Z a-z 0-9 . _
 * -}; no trailing {@code /}, query or fragment; at most 2048 bytes in all. Nothing is
 * canonicalised: input that is not already canonical is refused, as the SPIFFE specification asks.
 * Immutable, compares by value; {@link #toString()} returns the text {@link #parse} accepted.
 */
public final class SpiffeId {
  static final String SCHEME = "spiffe://";
  static final int MAX_BYTES = 2048;
  static final int MAX_TRUST_DOMAIN = 255;

  private final String trustDomain;
  private final String path;

  private SpiffeId(String trustDomain, String path) {
    this.trustDomain = trustDomain;
    this.path = path;
  }

  /**
   * Parses a SPIFFE ID.
   *
   * @throws IdentityInputException if the text breaks any rule in the class description; the
   *     message quotes the text and names the rule and the offending character or segment
   * @throws NullPointerException if {@code text} is null
   */
  public static SpiffeId parse(String text) {
    Objects.requireNonNull(text, "text");
    if (text.isEmpty()) {
      throw new IdentityInputException("SPIFFE ID is empty; expected spiffe://<trust-domain>/<path>");
    }
    int bytes = text.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > MAX_BYTES) {
      throw new IdentityInputException(
          "SPIFFE ID '" + TaskId.abbreviate(text) + "' is " + bytes + " bytes long; at most " + MAX_BYTES + " accepted");
    }
    if (!text.startsWith(SCHEME)) {
      throw new IdentityInputException("SPIFFE ID '" + text + "' does not start with 'spiffe://'");
    }
    int q = firstOf(text, '?', '#');
    if (q >= 0) {
      throw new IdentityInputException(
          "SPIFFE ID '" + text + "' has a query or fragment ('" + text.charAt(q) + "'); not accepted");
    }
    String rest = text.substring(SCHEME.length());
    int slash = rest.indexOf('/');
    String domain = slash < 0 ? rest : rest.substring(0, slash);
    String path = slash < 0 ? "" : rest.substring(slash);
    checkTrustDomain(domain, "SPIFFE ID '" + text + "': trust domain");
    checkPath(text, path);
    return new SpiffeId(domain, path);
  }

  /**
   * The SPIFFE ID of a task session: {@code spiffe://<trustDomain>/task/<task>/<session>}.
   *
   * @throws IdentityInputException if {@code trustDomain} is not a valid trust domain
   */
  public static SpiffeId forTask(String trustDomain, TaskId task, SessionId session) {
    Objects.requireNonNull(task, "task");
    Objects.requireNonNull(session, "session");
    requireTrustDomain(trustDomain);
    return new SpiffeId(trustDomain, "/task/" + task.value() + "/" + session.value());
  }

  /**
   * Checks a bare trust domain name ({@code example.org}) and returns it.
   *
   * @throws IdentityInputException if it is empty, longer than 255 characters, or holds a
   *     character outside lowercase {@code a-z 0-9 . _ -} (a scheme, port or user info included)
   * @throws NullPointerException if {@code trustDomain} is null
   */
  public static String requireTrustDomain(String trustDomain) {
    Objects.requireNonNull(trustDomain, "trustDomain");
    if (trustDomain.startsWith(SCHEME)) {
      throw new IdentityInputException(
          "trust domain '" + trustDomain + "' includes the scheme; give the name alone, such as example.org");
    }
    checkTrustDomain(trustDomain, "trust domain");
    return trustDomain;
  }

  /** The trust domain, such as {@code example.org}. */
  public String trustDomain() {
    return trustDomain;
  }

  /** The path, empty or starting with {@code /}. */
  public String path() {
    return path;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SpiffeId other && trustDomain.equals(other.trustDomain) && path.equals(other.path);
  }

  @Override
  public int hashCode() {
    return trustDomain.hashCode() * 31 + path.hashCode();
  }

  @Override
  public String toString() {
    return SCHEME + trustDomain + path;
  }

  private static void checkTrustDomain(String domain, String what) {
    String accepted = "accepted: 1 to " + MAX_TRUST_DOMAIN + " characters of lowercase a-z 0-9 . _ -";
    if (domain.isEmpty()) {
      throw new IdentityInputException(what + " is empty; " + accepted);
    }
    if (domain.length() > MAX_TRUST_DOMAIN) {
      throw new IdentityInputException(
          what + " '" + TaskId.abbreviate(domain) + "' is " + domain.length() + " characters long; " + accepted);
    }
    for (int i = 0; i < domain.length(); i++) {
      char c = domain.charAt(i);
      if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-') {
        continue;
      }
      String why = c == ':' ? " (a port is not accepted)" : c == '@' ? " (user info is not accepted)" : "";
      throw new IdentityInputException(
          what
              + " '"
              + domain
              + "' has character "
              + TaskId.describe(domain.codePointAt(i))
              + " at position "
              + (i + 1)
              + why
              + "; "
              + accepted);
    }
  }

  private static void checkPath(String text, String path) {
    if (path.isEmpty()) {
      return;
    }
    if (path.endsWith("/")) {
      throw new IdentityInputException("SPIFFE ID '" + text + "' ends with '/'; not accepted");
    }
    String[] segments = path.substring(1).split("/", -1);
    for (int i = 0; i < segments.length; i++) {
      String seg = segments[i];
      String where = "SPIFFE ID '" + text + "': path segment " + (i + 1);
      if (seg.isEmpty()) {
        throw new IdentityInputException(where + " is empty ('//'); not accepted");
      }
      if (seg.equals(".") || seg.equals("..")) {
        throw new IdentityInputException(where + " is '" + seg + "'; relative segments are not accepted");
      }
      int bad = TaskId.firstOutside(seg);
      if (bad >= 0) {
        throw new IdentityInputException(
            where
                + " '"
                + seg
                + "' has character "
                + TaskId.describe(seg.codePointAt(bad))
                + "; accepted: A-Z a-z 0-9 . _ -");
      }
    }
  }

  private static int firstOf(String text, char a, char b) {
    for (int i = 0; i < text.length(); i++) {
      if (text.charAt(i) == a || text.charAt(i) == b) {
        return i;
      }
    }
    return -1;
  }
}
