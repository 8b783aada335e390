package dev.taskbound.core.egress;

import java.util.List;

/**
 * The headers by which a client asks a server to take a request as another method
 * ({@code X-HTTP-Method-Override}, {@code X-HTTP-Method}, {@code X-Method-Override}). The gateway
 * judges a request by its method; a server that honours one of these would do something else (a
 * {@code POST} it takes as {@code DELETE}). On an inspected host such a request is refused unless
 * every override names the request's own method: the gateway does not guess which servers read
 * them. Stateless.
 */
final class MethodOverride {
  /** The header names, as the frameworks that read them spell them. */
  static final List<String> HEADERS = List.of("X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override");

  private MethodOverride() {}

  /**
   * Passes a request that carries no override, or only overrides naming its own method.
   *
   * @throws ProxyRequestException 403 naming the header and the method it asks for
   */
  static void check(RequestHead head) throws ProxyRequestException {
    for (String name : HEADERS) {
      for (String value : head.values(name)) {
        if (!value.strip().equals(head.method())) {
          String asked = RequestHead.printable(value.strip());
          throw new ProxyRequestException(403, "request '" + RequestHead.printable(head.method()) + "' carries " + name
              + ": " + asked + ", which a server may take as another method than the one the gateway judges; accepted:"
              + " no method override header, or one naming the request's own method (send the method itself)",
              GatewayEvents.MALFORMED, "a method override header (" + name + ") naming another method than the request's");
        }
      }
    }
  }
}
