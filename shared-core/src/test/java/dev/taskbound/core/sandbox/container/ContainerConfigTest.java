package dev.taskbound.core.sandbox.container;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskbound.core.sandbox.ContainerConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ContainerConfigTest {
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "--privileged     | agentImage is not an image reference: --privileged",
      "'-v=/:/host'     | agentImage is not an image reference: -v=/:/host",
      "'image name'     | agentImage is not an image reference: image name",
  })
  void refusesAnAgentImageThatDockerWouldReadAsAnOption(String image, String message) {
    assertThatThrownBy(() -> ContainerConfig.builder(image))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(message);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "/var/run/docker.sock       | Docker endpoint must start with unix://, tcp:// or ssh://: /var/run/docker.sock",
      "http://localhost:2375      | Docker endpoint must start with unix://, tcp:// or ssh://: http://localhost:2375",
  })
  void refusesAnEndpointWithoutAScheme(String endpoint, String message) {
    assertThatThrownBy(() -> ContainerConfig.builder("img").endpoint(endpoint).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(message);
  }

  @Test
  void refusesALabelKeyDockerWouldMisread() {
    assertThatThrownBy(() -> ContainerConfig.builder("img").label("Bad Key", "x").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("bad label Bad Key");
  }

  @Test
  void defaultsPointAtTheLocalDaemonAndThisJvmsClasses() {
    ContainerConfig config = ContainerConfig.builder("taskbound/debian-base:bookworm").build();

    assertThat(config.endpoint()).isEqualTo("unix:///var/run/docker.sock");
    assertThat(config.socketPath()).contains(Path.of("/var/run/docker.sock"));
    assertThat(config.forwarderImage()).isEqualTo("taskbound/forwarder:17");
    assertThat(config.forwarderPort()).isEqualTo(3128);
    assertThat(config.forwarderCode().resolve("dev/taskbound/core/sandbox/ContainerForwarder.class")).exists();
  }

  @Test
  void toBuilderKeepsEverySetting() {
    ContainerConfig config =
        ContainerConfig.builder("img").endpoint("tcp://127.0.0.1:2375").forwarderPort(8080).label("dev.taskbound.session", "s1").build();

    assertThat(config.toBuilder().build()).isEqualTo(config);
  }
}
