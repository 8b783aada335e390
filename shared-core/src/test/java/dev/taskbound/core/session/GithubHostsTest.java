package dev.taskbound.core.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.policy.EffectivePolicy;
import dev.taskbound.core.policy.PolicyResolver;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The GitHub token's hosts follow TASKBOUND_GITHUB_API_URL, and regulated work needs them inspected. */
class GithubHostsTest {
  private static final String CEILING = """
      apiVersion: taskbound.dev/v1
      kind: Ceiling
      spec:
        regulated: true
        egress:
          allow: [github.com, api.github.com, ghe.example]
          inspect: [github.com, api.github.com]
        github:
          repositories: [acme/app]
          permissions: {contents: write}
        evidence:
          signer:
            vault-transit: {mount: transit, key: taskbound-evidence}
      """;

  @TempDir Path dir;

  private EffectivePolicy regulated(String ceiling) throws Exception {
    return PolicyResolver.resolve(List.of(Files.writeString(dir.resolve("org.yml"), ceiling),
        Files.writeString(dir.resolve("task.yml"), "apiVersion: taskbound.dev/v1\nkind: Task\n")), Optional.empty());
  }

  @Test
  void githubComHasItsThreeHostsAndAnEnterpriseServerItsOne() {
    assertThat(GithubHosts.of(URI.create("https://api.github.com")))
        .containsExactlyInAnyOrder("github.com", "api.github.com", "uploads.github.com");
    assertThat(GithubHosts.of(URI.create("https://ghe.example/api/v3"))).containsExactly("ghe.example");
  }

  /** A stand-in API on loopback (the suite's): github.com's hosts still get the placeholder. */
  @Test
  void thePlaceholderIsBoundToAStandInApiHostAndGithubComsHosts() {
    assertThat(GithubHosts.placeholderHosts(URI.create("http://127.0.0.1:8080")))
        .containsExactlyInAnyOrder("127.0.0.1", "github.com", "api.github.com", "uploads.github.com");
    assertThat(GithubHosts.placeholderHosts(URI.create("http://localhost:8080")))
        .containsExactlyInAnyOrder("localhost", "github.com", "api.github.com", "uploads.github.com");
    assertThat(GithubHosts.placeholderHosts(URI.create("https://api.github.com")))
        .containsExactlyInAnyOrder("github.com", "api.github.com", "uploads.github.com");
  }

  /** Review finding: an Enterprise token bound to github.com went into requests to public GitHub. */
  @Test
  void anEnterpriseServersTokenIsBoundToItsHostAlone() {
    assertThat(GithubHosts.placeholderHosts(URI.create("https://ghe.example/api/v3"))).containsExactly("ghe.example");
    assertThat(GithubHosts.placeholderHosts(URI.create("https://127.0.0.1.ghe.example/api/v3")))
        .containsExactly("127.0.0.1.ghe.example");
  }

  @Test
  void regulatedWorkWithAnUninspectedEnterpriseHostFailsTheOpenNamingTheHost() throws Exception {
    EffectivePolicy policy = regulated(CEILING);

    assertThatThrownBy(() -> GithubHosts.checkRegulated(policy, Optional.of(URI.create("https://ghe.example/api/v3"))))
        .isInstanceOf(SessionException.class)
        .hasMessageContaining("egress.inspect lacks ghe.example")
        .satisfies(e -> assertThat(((SessionException) e).exitCode()).isEqualTo(ExitCodes.POLICY));
    assertThatCode(() -> GithubHosts.checkRegulated(policy, Optional.of(URI.create("https://api.github.com")))).doesNotThrowAnyException();
    EffectivePolicy inspected = regulated(CEILING.replace("inspect: [github.com, api.github.com]",
        "inspect: [github.com, api.github.com, ghe.example]"));
    assertThatCode(() -> GithubHosts.checkRegulated(inspected, Optional.of(URI.create("https://ghe.example/api/v3")))).doesNotThrowAnyException();
  }
}
