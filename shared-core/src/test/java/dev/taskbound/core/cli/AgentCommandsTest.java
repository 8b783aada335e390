package dev.taskbound.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.core.broker.Secret;
import dev.taskbound.core.gate.AgentApi;
import dev.taskbound.core.gate.AgentApiConfig;
import dev.taskbound.core.gate.Decision;
import dev.taskbound.core.gate.RefreshedToken;
import dev.taskbound.core.gate.SecretProvider;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code taskbound secret get} and {@code taskbound token refresh} in-process against a real
 * agent API on loopback (no proxy variables: the client connects directly). The gateway path is in
 * {@code gate/AgentApiGatewayTest}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AgentCommandsTest {
  static final Secret VALUE = Secret.of("cli-secret-value-5b7e");

  record Run(int status, String out, String err) {}

  AgentApi api;

  @AfterEach
  void stop() {
    if (api != null) {
      api.close();
    }
  }

  Map<String, String> sessionEnv() {
    return Map.of("TASKBOUND_AGENT_API", "http://127.0.0.1:" + api.port(), "TASKBOUND_AGENT_TOKEN", api.capability().reveal());
  }

  static Run run(Map<String, String> env, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int status = TaskboundCli.execute(args, new PrintWriter(out), new PrintWriter(err), env);
    return new Run(status, out.toString(), err.toString());
  }

  @Test
  void secretGetPrintsExactlyTheValue() {
    api = AgentApi.start(AgentApiConfig.builder().secrets(SecretProvider.of(Map.of("npm-token", VALUE))).build());

    Run r = run(sessionEnv(), "secret", "get", "npm-token");

    assertThat(r).isEqualTo(new Run(0, VALUE.reveal(), ""));
  }

  @Test
  void tokenRefreshPrintsTheFreshTokenAndCallsTheRefresherOnce() {
    List<String> calls = new CopyOnWriteArrayList<>();
    Secret fresh = Secret.of("ghs_cliRefreshed0123456789abcdefghijkl");
    api = AgentApi.start(AgentApiConfig.builder().tokens(() -> {
      calls.add("refresh");
      return new RefreshedToken(fresh, Optional.empty());
    }).build());

    Run r = run(sessionEnv(), "token", "refresh");

    assertThat(r).isEqualTo(new Run(0, fresh.reveal(), ""));
    assertThat(calls).containsExactly("refresh");
  }

  @Test
  void outsideASessionExits125NamingTheMissingVariable() {
    Run r = run(Map.of("PATH", "/usr/bin"), "secret", "get", "npm-token");

    assertThat(r).isEqualTo(new Run(125, "", "taskbound: error: not inside a Taskbound session: TASKBOUND_AGENT_API is not set"
        + " (taskbound run sets it for the agent when the policy grants on-request secrets or a GitHub token)\n"));
  }

  @Test
  void unknownSecretExits122NamingTheKnownOnes() {
    api = AgentApi.start(AgentApiConfig.builder().secrets(SecretProvider.of(Map.of("npm-token", VALUE))).build());

    Run r = run(sessionEnv(), "secret", "get", "pypi-token");

    assertThat(r).isEqualTo(new Run(122, "", "taskbound: error: could not get secret 'pypi-token': the agent API answered 404"
        + " not_found: no on-request secret named 'pypi-token'; this session's on-request secrets: npm-token\n"));
  }

  @Test
  void deniedAccessExits122WithTheReason() {
    api = AgentApi.start(AgentApiConfig.builder().secrets(SecretProvider.of(Map.of("npm-token", VALUE)))
        .policy(req -> Decision.deny("not during this task")).build());

    Run r = run(sessionEnv(), "secret", "get", "npm-token");

    assertThat(r).isEqualTo(new Run(122, "", "taskbound: error: could not get secret 'npm-token': the agent API answered 403"
        + " forbidden: secret.read of 'npm-token' denied: not during this task\n"));
  }

  @Test
  void unreachableApiExits121() {
    api = AgentApi.start(AgentApiConfig.builder().build());
    Map<String, String> env = sessionEnv();
    api.close();

    Run r = run(env, "token", "refresh");

    assertThat(r.status()).isEqualTo(121);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).startsWith("taskbound: error: could not refresh the GitHub token: the agent API at http://127.0.0.1:"
        + env.get("TASKBOUND_AGENT_API").replaceAll(".*:", "") + " is unreachable (ConnectException");
  }

  @Test
  void invalidNameOrBadProxyVariableExits125WithoutEchoingTheProxy() {
    api = AgentApi.start(AgentApiConfig.builder().build());
    Map<String, String> badProxy = new HashMap<>(sessionEnv());
    badProxy.put("HTTP_PROXY", "socks5://user:proxy-password@127.0.0.1:1080");

    Run badName = run(sessionEnv(), "secret", "get", "../etc");
    Run proxy = run(badProxy, "secret", "get", "npm-token");

    assertThat(badName).isEqualTo(new Run(125, "", "taskbound: error: invalid secret name '../etc': a name is 1-128 characters"
        + " of A-Z a-z 0-9 . _ - starting with a letter or digit\n"));
    assertThat(proxy.status()).isEqualTo(125);
    assertThat(proxy.err()).isEqualTo("taskbound: error: HTTP_PROXY is not an http proxy URL (value not shown: it may hold"
        + " credentials); expected http://HOST:PORT\n");
  }

  @Test
  void secretWithoutSubcommandIsAUsageError() {
    Run r = run(Map.of(), "secret");

    assertThat(r.status()).isEqualTo(125);
    assertThat(r.err()).startsWith("taskbound: a subcommand is required: get NAME");
  }
}
