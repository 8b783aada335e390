package dev.taskbound.core.e2e;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.taskbound.core.broker.TestKeys;
import dev.taskbound.core.broker.github.GithubStubs;
import dev.taskbound.core.broker.vault.VaultStubs;
import dev.taskbound.core.cli.TaskboundCli;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The GitHub and Vault HTTP APIs for the credential end-to-end tests: two WireMock servers on
 * 127.0.0.1 started before each test and stopped after it, empty (each test stubs what it needs,
 * usually {@link GithubStubs} and {@link VaultStubs}). Register with {@code @RegisterExtension}. It also
 * writes the tests' Tasks, builds the controller's environment for these stand-ins and runs the CLI in
 * this JVM ({@link #taskbound}).
 */
final class CredentialApis implements BeforeEachCallback, AfterEachCallback {
  /** A dynamic database secret {@code db} ({@code database/creds/readonly} in {@link VaultStubs}) in the file {@code db.txt}. */
  static final String DYNAMIC_DB_SECRET =
      "{name: db, kind: dynamic, path: database/creds/readonly, field: password, file: db.txt}";
  /** The lines every Task these tests write starts with: the kind and a 10-minute TTL. */
  private static final String TASK_HEAD = String.join("\n", "apiVersion: taskbound.dev/v1", "kind: Task", "spec:",
      "  ttl: 10m", "");

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
    return Files.writeString(file, TASK_HEAD + String.join("\n",
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
   * Writes a Task that asks Vault only: policy {@code app-read}, a 5-minute child token, and the one
   * secret {@code secret} (a YAML flow map, such as {@link #DYNAMIC_DB_SECRET}).
   */
  Path writeVaultTask(Path file, String secret) throws IOException {
    return Files.writeString(file, TASK_HEAD + String.join("\n",
        "  vault:",
        "    policies: [app-read]",
        "    ttl: 5m",
        "    secrets:",
        "      - " + secret,
        ""));
  }

  /**
   * A controller's environment with Vault at this stand-in and its AppRole login ({@code role-0001},
   * {@link VaultStubs#SECRET_ID}), in its process environment only; a new map on each call.
   */
  Map<String, String> vaultAppRoleEnv(Path home) {
    Map<String, String> env = homeEnv(home, null);
    env.put("TASKBOUND_VAULT_ADDR", vault.baseUrl());
    env.put("TASKBOUND_VAULT_AUTH", "approle");
    env.put("TASKBOUND_VAULT_ROLE_ID", "role-0001");
    env.put("TASKBOUND_VAULT_SECRET_ID", VaultStubs.SECRET_ID);
    return env;
  }

  /**
   * A controller's environment with the GitHub App at this GitHub stand-in ({@link GithubStubs#APP_ID},
   * {@code appKey}) and, unless null, the journal key; a new map on each call.
   */
  Map<String, String> githubAppEnv(Path home, String journalKey, KeyPair appKey) {
    Map<String, String> env = homeEnv(home, journalKey);
    env.put("TASKBOUND_GITHUB_APP_ID", GithubStubs.APP_ID);
    env.put("TASKBOUND_GITHUB_APP_KEY", TestKeys.pkcs1Pem(appKey));
    env.put("TASKBOUND_GITHUB_API_URL", github.baseUrl());
    return env;
  }

  /**
   * The environment of a process that holds no credential, such as a backstop's {@code credentials
   * revoke}: {@code TASKBOUND_HOME} and, unless null, the journal key; a new map on each call.
   */
  static Map<String, String> homeEnv(Path home, String journalKey) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("TASKBOUND_HOME", home.toString());
    if (journalKey != null) {
      env.put("TASKBOUND_JOURNAL_KEY", journalKey);
    }
    return env;
  }

  /** What one run of the CLI returned: its exit status and everything it printed. */
  record Result(int status, String out, String err) {}

  /** Runs the CLI in this JVM with {@code env} as its whole environment and no standard input. */
  static Result taskbound(Map<String, String> env, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int status = TaskboundCli.execute(args, new PrintWriter(out), new PrintWriter(err), env);
    return new Result(status, out.toString(), err.toString());
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
