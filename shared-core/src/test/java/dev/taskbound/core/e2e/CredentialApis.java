package dev.taskbound.core.e2e;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.taskbound.core.broker.vault.VaultStubs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The GitHub and Vault HTTP APIs for the credential end-to-end tests: two WireMock servers on
 * 127.0.0.1 started before each test and stopped after it, empty (each test stubs what it needs,
 * usually {@link GithubStubs} and {@link VaultStubs}). Register with {@code @RegisterExtension}.
 */
final class CredentialApis implements BeforeEachCallback, AfterEachCallback {
  private WireMockServer github;
  private WireMockServer vault;

  @Override
  public void beforeEach(ExtensionContext context) {
    github = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    github.start();
    vault = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    vault.start();
  }

  @Override
  public void afterEach(ExtensionContext context) {
    github.stop();
    vault.stop();
  }

  WireMockServer github() {
    return github;
  }

  WireMockServer vault() {
    return vault;
  }

  /**
   * Writes the Task these tests run: netns sandbox, egress to the GitHub stub only (pinned to
   * loopback), {@code contents: read} on {@code acme/app}, and the given {@code spec.vault} lines.
   *
   * @param vaultSpec YAML lines at the {@code spec} level ({@code "  vault:\n..."}), or empty
   */
  Path writeTask(Path file, String vaultSpec) throws IOException {
    return Files.writeString(file, String.join("\n",
        "apiVersion: taskbound.dev/v1",
        "kind: Task",
        "spec:",
        "  ttl: 10m",
        "  sandbox:",
        "    backends: [netns]",
        "  egress:",
        "    allow: [\"api.github.test:" + github.port() + "\"]",
        "    hosts:",
        "      api.github.test: 127.0.0.1",
        "  github:",
        "    repositories: [acme/app]",
        "    permissions: {contents: read}",
        "") + vaultSpec);
  }

  /**
   * Every request the Vault stand-in received, oldest first, as {@code METHOD URL WHO}: WHO names the
   * token that made it ({@code no-token}, {@code login-token}, {@code child-token}, {@code other-token}).
   */
  java.util.List<String> vaultRequests() {
    java.util.List<com.github.tomakehurst.wiremock.verification.LoggedRequest> logged = new java.util.ArrayList<>(
        vault.findAll(com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor(
            com.github.tomakehurst.wiremock.client.WireMock.anyUrl())));
    logged.sort(java.util.Comparator.comparing(com.github.tomakehurst.wiremock.verification.LoggedRequest::getLoggedDate));
    return logged.stream().map(r -> {
      String token = r.getHeader("X-Vault-Token");
      String who = token == null ? "no-token" : token.equals(VaultStubs.LOGIN_TOKEN) ? "login-token"
          : token.equals(VaultStubs.CHILD_TOKEN) ? "child-token" : "other-token";
      return r.getMethod() + " " + r.getUrl() + " " + who;
    }).toList();
  }
}
