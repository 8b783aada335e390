package dev.taskbound.core.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 15: {@code egress.inspect} adds up down the layers, so a ceiling's hosts are a requirement. */
class InspectPolicyTest {
  @TempDir Path dir;

  private Path write(String name, String text) throws IOException {
    return Files.writeString(dir.resolve(name), text);
  }

  private static String layer(String kind, String inspect) {
    return String.join("\n", "apiVersion: taskbound.dev/v1", "kind: " + kind, "spec:", "  egress:",
        "    allow: [api.github.com, github.com]", "    inspect: " + inspect, "");
  }

  @Test
  void aTaskAddsHostsToWhatTheCeilingInspectsAndCannotDropOne() throws IOException {
    Path org = write("org.yml", layer("Ceiling", "[API.GitHub.com]"));
    Path task = write("task.yml", layer("Task", "[github.com]"));

    EffectivePolicy p = PolicyResolver.resolve(List.of(org, task), Optional.empty());

    assertThat(p.inspect()).containsExactly("api.github.com", "github.com");
    assertThat(p.toCanonicalJson()).contains("\"inspect\":[\"api.github.com\",\"github.com\"]");
  }

  @Test
  void aPolicyWithoutInspectionKeepsItsDigest() throws IOException {
    Path task = write("task.yml", String.join("\n", "apiVersion: taskbound.dev/v1", "kind: Task", "spec:",
        "  egress:", "    allow: [api.github.com]", ""));

    EffectivePolicy p = PolicyResolver.resolve(List.of(task), Optional.empty());

    assertThat(p.inspect()).isEmpty();
    assertThat(p.toCanonicalJson()).doesNotContain("inspect");
  }

  @Test
  void refusesAWildcardOrAPortWithItsLineAndTheAcceptedForm() throws IOException {
    Path wildcard = write("w.yml", layer("Task", "['*.github.com']"));
    Path port = write("p.yml", layer("Task", "['api.github.com:8443']"));

    assertThatThrownBy(() -> PolicyResolver.resolve(List.of(wildcard), Optional.empty()))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining("w.yml:6").hasMessageContaining("egress.inspect[0]")
        .hasMessageContaining("accepted: an exact host name");
    assertThatThrownBy(() -> PolicyResolver.resolve(List.of(port), Optional.empty()))
        .isInstanceOf(PolicyException.class).hasMessageContaining("accepted: an exact host name");
  }
}
