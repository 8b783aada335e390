package dev.taskbound.core.broker;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The forms a secret takes in what Taskbound itself writes for the agent, where they differ from the
 * value: percent-encoded in a URL's user info (pip's {@code index-url}, with {@code %20} or {@code +}
 * for a space), escaped in XML (Maven's {@code settings.xml}) and in a JSON string (the agent API's
 * answers). A masker that knew only the value would print these in clear. Stateless.
 */
final class EncodedForms {
  private EncodedForms() {}

  /** The encoded forms of {@code value} that are not {@code value} itself. */
  static Set<String> of(String value) {
    Set<String> forms = new LinkedHashSet<>();
    String form = URLEncoder.encode(value, StandardCharsets.UTF_8);
    forms.add(form);
    forms.add(form.replace("+", "%20"));
    forms.add(value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;")
        .replace("'", "&apos;"));
    forms.add(new String(JsonStringEncoder.getInstance().quoteAsString(value)));
    forms.remove(value);
    return forms;
  }
}
