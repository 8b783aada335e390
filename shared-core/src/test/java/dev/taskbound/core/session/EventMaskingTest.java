package dev.taskbound.core.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.core.Json;
import dev.taskbound.core.broker.Secret;
import dev.taskbound.core.broker.SecretMasker;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EventMaskingTest {
  private static final String VALUE = "issued-value-7f3a";
  private final SecretMasker masker = new SecretMasker(List.of(Secret.of(VALUE)));

  @Test
  void issuedValuesAreMaskedInNestedStringsKeysAndJsonButNotTokenShapesOrOtherTypes() throws Exception {
    String tokenShaped = "ghp_" + "a".repeat(36); // a digest or key id could look like one: kept as it is
    Map<String, ?> data = Map.of(
        "host", VALUE + ".denied.test",
        "nested", Map.of(VALUE, List.of("x" + VALUE, 3)),
        "statement", Json.MAPPER.readTree("{\"target\":\"/repos/" + VALUE + "\",\"n\":[\"" + VALUE + "\",1]}"),
        "kid", tokenShaped,
        "count", 7);

    String masked = Json.MAPPER.writeValueAsString(EventMasking.of(data, masker));

    assertThat(masked).doesNotContain(VALUE).contains("\"***.denied.test\"", "\"***\":[\"x***\",3]", "/repos/***",
        "[\"***\",1]", tokenShaped, "\"count\":7");
  }
}
