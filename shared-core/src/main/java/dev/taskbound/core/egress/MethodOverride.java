package dev.taskbound.core.egress;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

/**
 * The ways a client asks a server to take a request as another method: the headers
 * {@code X-HTTP-Method-Override}, {@code X-HTTP-Method}, {@code X-Method-Override} (in any case,
 * with {@code _} for {@code -}, as Rack, PHP/CGI and WSGI read them) and a {@code _method}
 * parameter in the query or a form body (Rack, Laravel, Symfony). The gateway judges a request by
 * its method; a server that honours one of these would do something else (a {@code POST} it takes
 * as {@code DELETE}). On an inspected host such a request is refused unless every override names
 * the request's own method: the gateway does not guess which servers read them. Stateless.
 */
final class MethodOverride {
  /** The header names, as the frameworks that read them spell them. */
  static final List<String> HEADERS = List.of("X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override");
  /** The parameter name Rack, Laravel and Symfony take a method from. */
  static final String PARAMETER = "_method";

  private MethodOverride() {}

  /**
   * Passes a request that carries no override header nor {@code _method} query parameter, or only
   * ones naming its own method.
   *
   * @throws ProxyRequestException 403 naming the header or parameter and the method it asks for
   */
  static void check(RequestHead head) throws ProxyRequestException {
    for (RequestHead.Header h : head.headers()) {
      String reads = PlainRequest.readsAs(h.name());
      if (HEADERS.stream().anyMatch(n -> n.toLowerCase(Locale.ROOT).equals(reads)) && !h.value().strip().equals(head.method())) {
        throw refused(head, "carries " + RequestHead.printable(h.name()) + ": " + RequestHead.printable(h.value().strip()),
            "a method override header (" + RequestHead.printable(h.name()) + ") naming another method than the request's");
      }
    }
    int q = head.target().indexOf('?');
    if (q >= 0) {
      checkParameters(head, head.target().substring(q + 1), "its query");
    }
  }

  /**
   * Whether a server may read the request's body as a form that overrides its method: a {@code POST}
   * ({@code application/x-www-form-urlencoded}, {@code multipart/form-data}, or no {@code Content-Type}
   * at all, which Rack reads as a form on a POST). Rack, Symfony/Laravel, Spring's
   * HiddenHttpMethodFilter and Express's method-override read {@code _method} only on a POST, so a
   * {@code PUT} upload without a type ({@code curl -T}) is not read whole for it.
   */
  static boolean mayBeForm(RequestHead head) {
    if (!"POST".equals(head.method())) {
      return false;
    }
    List<String> types = head.values("Content-Type");
    if (types.isEmpty()) {
      return true;
    }
    return types.stream().map(t -> t.toLowerCase(Locale.ROOT).strip())
        .anyMatch(t -> t.startsWith("application/x-www-form-urlencoded") || t.startsWith("multipart/"));
  }

  /**
   * Passes a form body (read whole, de-chunked) without a {@code _method} field naming another method.
   * A multipart body is not parsed: any {@code _method} in it (in any case) is refused.
   *
   * @throws ProxyRequestException 403 naming the field
   */
  static void checkForm(RequestHead head, byte[] body) throws ProxyRequestException {
    String text = new String(body, StandardCharsets.ISO_8859_1);
    boolean multipart = head.values("Content-Type").stream().anyMatch(t -> t.toLowerCase(Locale.ROOT).strip().startsWith("multipart/"));
    if (multipart) {
      if (text.toLowerCase(Locale.ROOT).contains(PARAMETER)) {
        throw refused(head, "has a multipart body naming " + PARAMETER, "a " + PARAMETER + " field in a multipart body");
      }
      return;
    }
    checkParameters(head, text, "its form body");
  }

  private static void checkParameters(RequestHead head, String encoded, String where) throws ProxyRequestException {
    for (String pair : encoded.split("[&;]", -1)) {
      int eq = pair.indexOf('=');
      String name = formDecode(eq < 0 ? pair : pair.substring(0, eq)).strip().toLowerCase(Locale.ROOT);
      // _method[] or _method[x] is read by some frameworks too: any parameter whose name starts so counts
      if (!name.startsWith(PARAMETER)) {
        continue;
      }
      String value = eq < 0 ? "" : formDecode(pair.substring(eq + 1)).strip();
      if (!value.equals(head.method())) {
        throw refused(head, "has " + PARAMETER + "=" + RequestHead.printable(value) + " in " + where,
            "a " + PARAMETER + " parameter in " + where + " naming another method than the request's");
      }
    }
  }

  /** {@code %XX} and {@code +} decoded; a malformed escape is kept as is (and so still compared). */
  static String formDecode(String s) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '+') {
        out.write(' ');
      } else if (c == '%' && i + 2 < s.length() && hex(s.charAt(i + 1)) >= 0 && hex(s.charAt(i + 2)) >= 0) {
        out.write(hex(s.charAt(i + 1)) * 16 + hex(s.charAt(i + 2)));
        i += 2;
      } else {
        out.write(c & 0xff);
      }
    }
    return out.toString(StandardCharsets.ISO_8859_1);
  }

  private static int hex(char c) {
    return Character.digit(c, 16);
  }

  private static ProxyRequestException refused(RequestHead head, String what, String evidence) {
    return new ProxyRequestException(403, "request '" + RequestHead.printable(head.method()) + "' " + what
        + ", which a server may take as another method than the one the gateway judges; accepted: no method override"
        + " header nor " + PARAMETER + " parameter, or one naming the request's own method (send the method itself)",
        GatewayEvents.MALFORMED, evidence);
  }
}
