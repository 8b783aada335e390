package dev.taskbound.core.gate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.core.broker.Secret;
import dev.taskbound.core.egress.EgressDecision;
import dev.taskbound.core.egress.EgressRule;
import dev.taskbound.core.egress.Gateway;
import dev.taskbound.core.egress.GatewayConfig;
import dev.taskbound.core.egress.RuleSet;
import dev.taskbound.core.sandbox.InitCommand;
import dev.taskbound.core.sandbox.NetnsSandbox;
import dev.taskbound.core.sandbox.ProxySandbox;
import dev.taskbound.core.sandbox.Sandbox;
import dev.taskbound.core.sandbox.SandboxIo;
import dev.taskbound.core.sandbox.SandboxLaunch;
import dev.taskbound.core.sandbox.SandboxProcess;
import dev.taskbound.core.sandbox.SandboxTools;
import dev.taskbound.core.testing.AgentOwner;
import java.io.ByteArrayOutputStream;
import java.lang.ProcessBuilder.Redirect;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent API reached the way the agent reaches it: through the real gateway (pin {@code
 * taskbound.internal -> 127.0.0.1}, allow rule {@code taskbound.internal:<port>}), from a raw
 * Unix-socket client, and from the real {@code taskbound} CLI run in the proxy and netns sandboxes.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AgentApiGatewayTest {
  static final Secret API_KEY = Secret.of("s3cret-through-the-gateway-91c2");
  static final Secret FRESH = Secret.of("ghs_refreshedInsideTheSandbox0123456789");

  @TempDir static Path dir;
  static AgentApi api;
  static Gateway gateway;
  static Gateway closedGateway;
  static final List<EgressDecision> decisions = new CopyOnWriteArrayList<>();
  static final List<AccessEvent> accesses = new CopyOnWriteArrayList<>();
  static final List<Instant> refreshes = new CopyOnWriteArrayList<>();
  private static int runs;

  record Result(int status, String out, String err) {}

  @BeforeAll
  static void start() {
    api = AgentApi.start(AgentApiConfig.builder()
        .secrets(SecretProvider.of(Map.of("api-key", API_KEY)))
        .tokens(() -> {
          refreshes.add(Instant.now());
          return new RefreshedToken(FRESH, Optional.of(Instant.parse("2026-11-27T14:00:00Z")));
        })
        .listener(accesses::add)
        .build());
    gateway = Gateway.start(new GatewayConfig(dir.resolve("gw.sock"),
        RuleSet.of(List.of(EgressRule.parse(api.allowRule())), List.of()), api.hostPin(),
        (d, m, a) -> decisions.add(d)));
    closedGateway = Gateway.start(new GatewayConfig(dir.resolve("closed.sock"), RuleSet.of(List.of(), List.of()), api.hostPin(),
        (d, m, a) -> decisions.add(d)));
  }

  @AfterAll
  static void stop() {
    gateway.close();
    closedGateway.close();
    api.close();
  }

  @BeforeEach
  void forget() {
    decisions.clear();
    accesses.clear();
    refreshes.clear();
  }

  @Test
  void rawProxyRequestThroughTheGatewayIsServedAndShowsAsAnEgressDecision() throws Exception {
    String request = "GET " + api.agentUrl() + "/v1/secrets/api-key HTTP/1.1\r\nHost: " + api.allowRule()
        + "\r\nAuthorization: Bearer " + api.capability().reveal() + "\r\n\r\n";

    String response = exchange(gateway.socketPath(), request);

    assertThat(response).startsWith("HTTP/1.1 200 ").endsWith("{\"name\":\"api-key\",\"value\":\"" + API_KEY.reveal() + "\"}");
    assertThat(decisions).singleElement().satisfies(d -> {
      assertThat(d.allowed()).isTrue();
      assertThat(d.host()).isEqualTo("taskbound.internal");
      assertThat(d.port()).isEqualTo(api.port());
    });
    assertThat(accesses).singleElement().satisfies(e -> assertThat(e.fingerprint()).contains(API_KEY.fingerprint()));
  }

  @Test
  void cliInTheProxySandboxGetsTheSecretThroughTheGateway() throws Exception {
    Result r = run(new ProxySandbox(), gateway, api.agentEnvironment(), "secret", "get", "api-key");

    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo(API_KEY.reveal());
    assertThat(decisions).singleElement().satisfies(d -> assertThat(d.allowed()).isTrue());
  }

  @Test
  void cliInTheNetnsSandboxGetsTheSecretAndRefreshesTheToken() throws Exception {
    Sandbox netns = new NetnsSandbox(SandboxTools.defaultSearchPath(System.getenv("PATH")), List.of(), InitCommand.current());

    Result secret = run(netns, gateway, api.agentEnvironment(), "secret", "get", "api-key");
    Result token = run(netns, gateway, api.agentEnvironment(), "token", "refresh");

    assertThat(secret.status()).as(secret.err()).isZero();
    assertThat(secret.out()).isEqualTo(API_KEY.reveal());
    assertThat(token.status()).as(token.err()).isZero();
    assertThat(token.out()).isEqualTo(FRESH.reveal());
    assertThat(refreshes).hasSize(1);
    assertThat(accesses).extracting(AccessEvent::action, AccessEvent::outcome).containsExactly(
        org.assertj.core.groups.Tuple.tuple(Optional.of(AccessAction.SECRET_READ), AccessEvent.Outcome.GRANTED),
        org.assertj.core.groups.Tuple.tuple(Optional.of(AccessAction.GITHUB_TOKEN_REFRESH), AccessEvent.Outcome.GRANTED));
    assertThat(decisions).hasSize(2).allSatisfy(d -> assertThat(d.host()).isEqualTo("taskbound.internal"));
  }

  @Test
  void cliWithAWrongCapabilityExits122AndGetsNothing() throws Exception {
    Map<String, String> env = new HashMap<>(api.agentEnvironment());
    env.put(AgentApi.ENV_TOKEN, "tbcap_not-the-capability");

    Result r = run(new ProxySandbox(), gateway, env, "secret", "get", "api-key");

    assertThat(r.status()).isEqualTo(122);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).isEqualTo("taskbound: error: could not get secret 'api-key': the agent API answered 401 unauthorized: this"
        + " request needs the header 'Authorization: Bearer $TASKBOUND_AGENT_TOKEN' with this session's capability"
        + " (TASKBOUND_AGENT_TOKEN must be the capability of the session serving TASKBOUND_AGENT_API)\n");
  }

  @Test
  void cliBehindAGatewayWithoutTheAllowRuleExits121QuotingTheGateway() throws Exception {
    Result r = run(new ProxySandbox(), closedGateway, api.agentEnvironment(), "secret", "get", "api-key");

    assertThat(r.status()).isEqualTo(121);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).startsWith("taskbound: error: could not get secret 'api-key': the session's gateway refused "
        + api.agentUrl() + " (HTTP 403): taskbound: egress to " + api.allowRule() + " denied (no allow rule matches).");
    assertThat(accesses).isEmpty();
  }

  /** Sends one request on the gateway's socket and reads until the gateway closes. */
  static String exchange(Path socket, String request) throws Exception {
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.connect(UnixDomainSocketAddress.of(socket));
      ByteBuffer b = ByteBuffer.wrap(request.getBytes(StandardCharsets.ISO_8859_1));
      while (b.hasRemaining()) {
        ch.write(b);
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteBuffer in = ByteBuffer.allocate(8192);
      while (ch.read(in) >= 0) {
        out.write(in.array(), 0, in.position());
        in.clear();
      }
      return out.toString(StandardCharsets.UTF_8);
    }
  }

  /** Runs {@code taskbound ARGS} (the real CLI in a fresh JVM) in a sandbox behind {@code gw}. */
  static Result run(Sandbox sandbox, Gateway gw, Map<String, String> agentEnv, String... args) throws Exception {
    int n = ++runs;
    InitCommand jvm = InitCommand.current();
    List<String> command = new ArrayList<>(List.of(jvm.javaBinary().toString()));
    command.addAll(InitCommand.FAST_START);
    command.addAll(List.of("-cp", jvm.classPath(), "dev.taskbound.core.cli.Main"));
    command.addAll(List.of(args));
    Map<String, String> env = new HashMap<>(Map.of("PATH", "/usr/bin:/bin", "HOME", dir.toString()));
    env.putAll(agentEnv);
    Path out = dir.resolve("out" + n);
    Path err = dir.resolve("err" + n);
    AgentOwner.own(dir); // the agent runs as the workspace's owner, never root
    SandboxProcess p = sandbox.start(new SandboxLaunch(command, dir, env, gw.socketPath(), List.of(), Duration.ofSeconds(30),
        new SandboxIo(Redirect.from(Path.of("/dev/null").toFile()), Redirect.to(out.toFile()), Redirect.to(err.toFile()))));
    try {
      if (!p.waitFor(Duration.ofSeconds(60))) {
        throw new AssertionError("the sandbox did not finish within 60 s");
      }
      return new Result(p.waitFor(), Files.readString(out), withoutJvmNotice(Files.readString(err)));
    } finally {
      p.destroyTree();
    }
  }

  /** Drops the JVM's own "Picked up JAVA_TOOL_OPTIONS" line (the sandbox sets the variable). */
  static String withoutJvmNotice(String err) {
    return err.replaceAll("(?m)^Picked up JAVA_TOOL_OPTIONS:.*\n", "");
  }
}
