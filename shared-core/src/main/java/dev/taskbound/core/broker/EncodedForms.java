package dev.taskbound.core.broker;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The encodings Taskbound writes a secret in for the agent, and so the forms the masker must know:
 * percent-encoded in a URL's user info (pip's {@code index-url}), escaped in XML (Maven's {@code
 * settings.xml}) and in a JSON string (the agent API's answers). The registry files are written with
 * these same methods, so what is written and what is masked cannot drift apart. Stateless.
 */
public final class EncodedForms {
  private EncodedForms() {}

  /** {@code s} percent-encoded for a URL's user info, a space as {@code %20}. */
  public static String userInfo(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** {@code s} escaped for XML text or an attribute value. */
  public static String xml(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;").replace("'", "&apos;");
  }

  /** The encoded forms of {@code value} that are not {@code value} itself (form encoding's {@code +} too). */
  static Set<String> of(String value) {
    Set<String> forms = new LinkedHashSet<>();
    forms.add(URLEncoder.encode(value, StandardCharsets.UTF_8));
    forms.add(userInfo(value));
    forms.add(xml(value));
    forms.add(new String(JsonStringEncoder.getInstance().quoteAsString(value)));
    forms.remove(value);
    return forms;
  }
}
