package dev.taskbound.core.egress;

import java.util.Locale;

/**
 * Refuses a request judged by a field of its body ({@code branch}, {@code ref}, {@code model}, a
 * GraphQL document's {@code query}) whose query string names that field too: a server that merges
 * the query over the body (Rails' {@code params} lets the query win) would act on the query's value,
 * not the one the gate judged ({@code PUT .../contents/x?branch=main} with a body naming the task's
 * branch). Stateless.
 */
final class ShadowedBodyField {
  private ShadowedBodyField() {}

  /**
   * @throws ProxyRequestException (403) if the query has a parameter {@code field}, or
   *     {@code field[...]}, compared as a form decodes it, in any case
   */
  static void check(RequestHead head, String field) throws ProxyRequestException {
    int q = head.target().indexOf('?');
    if (q < 0) {
      return;
    }
    String wanted = field.toLowerCase(Locale.ROOT);
    for (String pair : head.target().substring(q + 1).split("[&;]", -1)) {
      int eq = pair.indexOf('=');
      String name = MethodOverride.formDecode(eq < 0 ? pair : pair.substring(0, eq)).strip().toLowerCase(Locale.ROOT);
      if (name.equals(wanted) || name.startsWith(wanted + "[")) {
        throw new ProxyRequestException(403, "request '" + RequestHead.printable(head.method()) + "' is judged by its body's"
            + " '" + field + "' field and also has a '" + RequestHead.printable(name) + "' parameter in its query, which a"
            + " server may take instead of the one judged; accepted: the field in the body only", GatewayEvents.MALFORMED,
            "a query parameter naming the body field the request is judged by");
      }
    }
  }
}
