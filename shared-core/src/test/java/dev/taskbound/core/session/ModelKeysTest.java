package dev.taskbound.core.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.TaskboundException;
import dev.taskbound.core.policy.RegistryPolicy;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@code kind: model} registries: read at the host edge, and only for an inspected host. */
class ModelKeysTest {
  private static final String KEY = "sk-ant-api03-model-keys-test-value";
  private static final RegistryPolicy ANTHROPIC = new RegistryPolicy(RegistryPolicy.Kind.MODEL,
      URI.create("https://API.anthropic.com"), Optional.empty(), Optional.empty(), Optional.empty(), List.of(),
      Optional.of("ANTHROPIC_API_KEY"), Optional.empty(), Optional.of("x-api-key"));
  private static final RegistryPolicy NPM = new RegistryPolicy(RegistryPolicy.Kind.NPM,
      URI.create("https://registry.npmjs.org/"), Optional.empty(), Optional.empty(), Optional.empty(), List.of(),
      Optional.empty(), Optional.empty());

  @Test
  void aModelKeyOfAnInspectedHostIsReadFromTheHostVariable() {
    List<ModelKeys.ModelKey> keys = ModelKeys.resolve(List.of(NPM, ANTHROPIC), List.of("api.anthropic.com"),
        Map.of("ANTHROPIC_API_KEY", KEY));

    assertThat(keys).singleElement().satisfies(k -> {
      assertThat(k.host()).isEqualTo("api.anthropic.com");
      assertThat(k.header()).isEqualTo("x-api-key");
      assertThat(k.variable()).isEqualTo("ANTHROPIC_API_KEY");
      assertThat(k.key().reveal()).isEqualTo(KEY);
      assertThat(k.toString()).doesNotContain(KEY);
    });
  }

  @Test
  void aModelKeyWhoseHostIsNotInspectedIsRefusedBeforeAnythingExists() {
    assertThatThrownBy(() -> ModelKeys.resolve(List.of(ANTHROPIC), List.of("api.github.com"),
        Map.of("ANTHROPIC_API_KEY", KEY)))
        .isInstanceOf(TaskboundException.class)
        .hasMessage("registries[0] (model https://API.anthropic.com): api.anthropic.com is not in egress.inspect, so no"
            + " one could inject its key; accepted: add api.anthropic.com to egress.inspect")
        .satisfies(e -> assertThat(((TaskboundException) e).exitCode()).isEqualTo(ExitCodes.CREDENTIALS));
  }

  @Test
  void anUnsetVariableIsNamedAndNoValueIsShown() {
    assertThatThrownBy(() -> ModelKeys.resolve(List.of(ANTHROPIC), List.of("api.anthropic.com"), Map.of()))
        .hasMessage("registries[0] (model https://API.anthropic.com) token: the host environment variable"
            + " ANTHROPIC_API_KEY is not set; accepted: set it to the model API key before the run");
  }
}
