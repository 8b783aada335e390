package dev.taskbound.action;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.taskbound.core.evidence.BundleVerifier;
import dev.taskbound.core.evidence.VerificationResult;
import java.io.File;
import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.interfaces.RSAPublicKey;
import java.text.ParseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The action end to end, run the way the GitHub runner runs a Docker container action: the image
 * built from the repository's {@code Dockerfile}, {@code docker run} with the runner's mounts (the
 * Docker socket, workspace, home, file commands), inputs as {@code INPUT_*} variables with hyphens
 * kept, and runner tokens set to canaries. With {@code sandbox: container} the core inside starts
 * the forwarder and agent as sibling containers through the mounted socket. The policy grants a
 * GitHub App token (the App configured as a workflow would, through {@code TASKBOUND_GITHUB_*}
 * variables), minted by the core inside the image from a stub of the GitHub API on loopback, used by
 * the agent and revoked at teardown (issue 10: the shipped jar crashed on every GitHub grant).
 *
 * <p>The action container uses {@code --network host} as on a runner, so its gateway reaches this
 * test's server on 127.0.0.1; the agent's containers have loopback only. Skips only when no Docker
 * daemon answers. Needs {@code taskbound/debian-base:bookworm} and {@code taskbound/forwarder:17}
 * ({@code scripts/docker-test-env.sh}) and builds {@code taskbound/escape-agent:bookworm}
 * ({@code scripts/docker-escape-image.sh}), a docker CLI image and the action image when missing; the
 * action image is tagged with a hash of the jar and the Dockerfile, so an unchanged action is not
 * rebuilt. Only the docker CLI image's build uses {@code --network host} (for apt).
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class ActionContainerIT {
  private static final String BASE_IMAGE = "taskbound/debian-base:bookworm";
  /** The debootstrap Debian: the stand-in for debian:bookworm-slim, which gets a jlink'd runtime. */
  private static final String RUNTIME_IMAGE = BASE_IMAGE;
  static final String AGENT_IMAGE = "taskbound/escape-agent:bookworm";
  /** The uid (and gid) of the user GitHub's hosted runners run jobs as. */
  static final int RUNNER_UID = 1001;
  private static final String ACTION_REPOSITORY = "taskbound/action";
  static final String SANDBOX_LABEL = "dev.taskbound.sandbox";
  private static final String BODY = "hello from api.test";
  static final Map<String, String> CANARIES =
      Map.of(
          "ACTIONS_RUNTIME_TOKEN", "canary-runtime-5d1e",
          "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "canary-oidc-token-a93c",
          "ACTIONS_ID_TOKEN_REQUEST_URL", "http://127.0.0.1:9/canary-oidc-url-7f20");

  static final String APP_ID = "12345";
  static final String INSTALLATION_TOKEN = "ghs_SENTINELactionTOKEN0123456789abcdefghijXY";
  /** The read-only token of the org ceiling (acme/.github, contents: read). */
  static final String CEILING_TOKEN = "ghs_SENTINELceilingACTION0123456789abcdefgXY";
  static final String CEILING_COMMIT = "9f1c0ffee5e1f0a2b3c4d5e6f708192a3b4c5d6e";
  static final String CEILING_CONTENTS = "GET /repos/acme/.github/contents/taskbound/ceiling.yml?ref=" + CEILING_COMMIT;
  /** The requests that read the org ceiling, in order, as {@link #githubRequests} records them. */
  static final List<String> CEILING_READ = List.of(
      "GET /app app-jwt",
      "GET /repos/acme/.github/installation app-jwt",
      "POST /app/installations/42/access_tokens app-jwt {\"repositories\":[\".github\"],\"permissions\":{\"contents\":\"read\"}}",
      "GET /repos/acme/.github ceiling-token",
      "GET /repos/acme/.github/git/ref/heads/main ceiling-token",
      CEILING_CONTENTS + " ceiling-token",
      "GET /repos/acme/.github/contents/taskbound/profiles?ref=" + CEILING_COMMIT + " ceiling-token",
      "DELETE /installation/token ceiling-token");
  /** As {@link #CEILING_READ} where the ceiling is missing: no profiles are looked for. */
  static final List<String> CEILING_READ_MISSING = List.of(
      "GET /app app-jwt",
      "GET /repos/acme/.github/installation app-jwt",
      "POST /app/installations/42/access_tokens app-jwt {\"repositories\":[\".github\"],\"permissions\":{\"contents\":\"read\"}}",
      "GET /repos/acme/.github ceiling-token",
      "GET /repos/acme/.github/git/ref/heads/main ceiling-token",
      CEILING_CONTENTS + " ceiling-token",
      "DELETE /installation/token ceiling-token");
  static final KeyPair APP_KEY = rsaKey();

  @TempDir Path dir;
  Path workspace;
  Path home;
  Path fileCommands;
  Path runnerTemp;
  private HttpServer server;
  HttpServer githubApi;
  private final List<String> requests = new CopyOnWriteArrayList<>();
  final List<String> githubRequests = new CopyOnWriteArrayList<>();
  /** Whether acme/.github holds taskbound/ceiling.yml, and what follows its spec (e.g. allowRepositoryCeiling). */
  volatile boolean orgCeilingPresent = true;
  volatile String orgCeilingTail = "";
  private final List<String> containers = new ArrayList<>();

  @BeforeEach
  void setUp() throws IOException {
    Assumptions.assumeTrue(
        docker(Duration.ofSeconds(30), "version", "--format", "{{.Server.Version}}").ok(),
        "no Docker daemon answers (scripts/docker-test-env.sh starts one)");
    workspace = Files.createDirectories(dir.resolve("workspace"));
    // As on a GitHub runner, the workspace belongs to the runner's user (1001), never root: the
    // container backend runs the agent as the workspace's owner and refuses a root-owned one.
    if ((Integer) Files.getAttribute(workspace, "unix:uid") == 0) {
      Files.setAttribute(workspace, "unix:gid", RUNNER_UID);
      Files.setAttribute(workspace, "unix:uid", RUNNER_UID);
    }
    home = Files.createDirectories(dir.resolve("home"));
    fileCommands = Files.createDirectories(dir.resolve("file_commands"));
    runnerTemp = Files.createDirectories(dir.resolve("runner_temp"));
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        exchange -> {
          requests.add(
              exchange.getRequestMethod() + " " + exchange.getRequestURI() + " host=" + exchange.getRequestHeaders().getFirst("Host"));
          byte[] body = BODY.getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(200, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    server.start();
    githubApi = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    githubApi.createContext("/", this::serveGithub);
    githubApi.start();
  }

  /**
   * A GitHub App installed on acme/app, answering as GitHub documents: the App, its installation,
   * a created installation token, the token's repositories, the token's revocation (204). Records
   * each request as method, path and which credential it carried.
   */
  private void serveGithub(HttpExchange exchange) throws IOException {
    String authorization = exchange.getRequestHeaders().getFirst("Authorization");
    String credential = isAppJwt(authorization) ? "app-jwt"
        : ("token " + INSTALLATION_TOKEN).equals(authorization) ? "token"
        : ("token " + CEILING_TOKEN).equals(authorization) ? "ceiling-token"
        : authorization == null ? "none" : "other";
    String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    String request = exchange.getRequestMethod() + " " + exchange.getRequestURI();
    githubRequests.add(request + " " + credential + (body.isEmpty() ? "" : " " + body.replaceAll("\\s", "")));
    String base = "http://127.0.0.1:" + githubApi.getAddress().getPort();
    boolean ceilingToken = credential.equals("ceiling-token");
    String answer = switch (request) {
      case "GET /repos/acme/.github/installation" -> "{\"id\":42,\"app_id\":" + APP_ID
          + ",\"account\":{\"login\":\"acme\",\"type\":\"Organization\"},\"access_tokens_url\":\"" + base
          + "/app/installations/42/access_tokens\",\"repository_selection\":\"selected\","
          + "\"permissions\":{\"contents\":\"write\",\"metadata\":\"read\"}}";
      case "GET /repos/acme/.github" -> !ceilingToken ? null
          : "{\"id\":7,\"name\":\".github\",\"full_name\":\"acme/.github\",\"default_branch\":\"main\"}";
      case "GET /repos/acme/.github/git/ref/heads/main" -> !ceilingToken ? null
          : "{\"ref\":\"refs/heads/main\",\"object\":{\"type\":\"commit\",\"sha\":\"" + CEILING_COMMIT + "\"}}";
      case CEILING_CONTENTS -> !ceilingToken || !orgCeilingPresent ? null : contentsAnswer(orgCeiling());
      case "GET /app" -> "{\"id\":" + APP_ID + ",\"slug\":\"taskbound-test\",\"owner\":{\"login\":\"acme\"}}";
      case "GET /repos/acme/app/installation" -> "{\"id\":42,\"app_id\":" + APP_ID
          + ",\"account\":{\"login\":\"acme\",\"type\":\"Organization\"},\"access_tokens_url\":\"" + base
          + "/app/installations/42/access_tokens\",\"repository_selection\":\"selected\","
          + "\"permissions\":{\"contents\":\"write\",\"metadata\":\"read\"}}";
      case "POST /app/installations/42/access_tokens" -> body.contains("\".github\"")
          ? "{\"token\":\"" + CEILING_TOKEN + "\",\"expires_at\":\"2026-11-27T13:00:00Z\",\"permissions\":{\"contents\":"
              + "\"read\"},\"repository_selection\":\"selected\",\"repositories\":[{\"id\":7,\"name\":\".github\"}]}"
          : "{\"token\":\"" + INSTALLATION_TOKEN
          + "\",\"expires_at\":\"2026-11-27T13:00:00Z\",\"permissions\":{\"contents\":\"read\"},"
          + "\"repository_selection\":\"selected\",\"repositories\":[{\"id\":1,\"name\":\"app\",\"full_name\":\"acme/app\"}]}";
      case "GET /installation/repositories" -> "{\"total_count\":1,\"repositories\":[{\"id\":1,\"full_name\":\"acme/app\"}]}";
      default -> null;
    };
    int status = answer == null ? (request.equals("DELETE /installation/token") ? 204 : 404)
        : request.startsWith("POST") ? 201 : 200;
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    byte[] bytes = answer == null ? new byte[0] : answer.getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(status, status == 204 ? -1 : bytes.length);
    exchange.getResponseBody().write(bytes);
    exchange.close();
  }

  /**
   * The org ceiling in acme/.github: the egress and pins the tests' Tasks use (both stand-ins),
   * the container backend, acme/app with contents read, 10m; then {@link #orgCeilingTail}.
   */
  String orgCeiling() {
    int port = server.getAddress().getPort();
    int githubPort = githubApi.getAddress().getPort();
    return """
        apiVersion: taskbound.dev/v1
        kind: Ceiling
        metadata: {name: acme-org}
        spec:
          ttl: 10m
          sandbox: {backends: [container]}
          egress:
            allow: ["api.test:%d", "api.github.test:%d"]
            hosts: {api.test: 127.0.0.1, api.github.test: 127.0.0.1}
          github:
            repositories: [acme/app]
            permissions: {contents: read}
        """.formatted(port, githubPort) + orgCeilingTail;
  }

  /** The contents API's answer for a file: base64 in 60-character lines, as GitHub sends it. */
  private static String contentsAnswer(String file) {
    byte[] bytes = file.getBytes(StandardCharsets.UTF_8);
    String base64 = Base64.getMimeEncoder(60, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(bytes);
    return "{\"type\":\"file\",\"encoding\":\"base64\",\"size\":" + bytes.length + ",\"name\":\"ceiling.yml\","
        + "\"path\":\"taskbound/ceiling.yml\",\"content\":\"" + base64.replace("\n", "\\n") + "\"}";
  }

  /** {@code Bearer} + an RS256 JWT signed with the App's key and issued by the App. */
  private static boolean isAppJwt(String authorization) {
    if (authorization == null || !authorization.startsWith("Bearer ")) {
      return false;
    }
    try {
      SignedJWT jwt = SignedJWT.parse(authorization.substring("Bearer ".length()));
      return jwt.verify(new RSASSAVerifier((RSAPublicKey) APP_KEY.getPublic()))
          && APP_ID.equals(jwt.getJWTClaimsSet().getIssuer());
    } catch (ParseException | JOSEException e) {
      return false;
    }
  }

  private static KeyPair rsaKey() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      return generator.generateKeyPair();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static String sha256Hex(String text) throws NoSuchAlgorithmException {
    return java.util.HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
  }

  static String pkcs8Pem(KeyPair pair) {
    return "-----BEGIN PRIVATE KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(pair.getPrivate().getEncoded())
        + "\n-----END PRIVATE KEY-----\n";
  }

  @AfterEach
  void tearDown() {
    if (server != null) {
      server.stop(0);
    }
    if (githubApi != null) {
      githubApi.stop(0);
    }
    for (String name : containers) {
      docker(Duration.ofSeconds(30), "rm", "--force", name);
    }
  }

  @Test
  void runsAgentInSiblingContainersWithEnforcedEgressAGithubAppTokenAndVerifiableEvidence() throws Exception {
    String actionImage = actionImage();
    requireAgentImage();
    int port = server.getAddress().getPort();
    int githubPort = githubApi.getAddress().getPort();
    Files.createDirectories(workspace.resolve("taskbound"));
    Files.writeString(
        workspace.resolve("taskbound/policy.yml"),
        """
        apiVersion: taskbound.dev/v1
        kind: Task
        metadata:
          name: action-e2e
        spec:
          ttl: 5m
          sandbox: {backends: [container], enforcement: strict}
          egress:
            allow: ["api.test:%d", "api.github.test:%d"]
            hosts: {api.test: 127.0.0.1, api.github.test: 127.0.0.1}
          github:
            repositories: [acme/app]
            permissions: {contents: read}
        """
            .formatted(port, githubPort));
    String command =
        "mkdir -p out"
            + " && curl -sS --max-time 30 -o out/allowed.txt http://api.test:" + port + "/hello?from=agent"
            + "; curl -s --max-time 30 -o /dev/null -w '%{http_code}' http://denied.test/ > out/denied.txt"
            + "; curl -sS --max-time 30 -o out/repositories.txt -H \"Authorization: token $GH_TOKEN\""
            + " http://api.github.test:" + githubPort + "/installation/repositories"
            + "; if [ -e /var/run/docker.sock ]; then echo present; else echo absent; fi > out/docker-sock.txt"
            + "; env > out/env.txt";
    Map<String, String> inputs = new LinkedHashMap<>();
    inputs.put("INPUT_TASK", "E2E-1");
    inputs.put("INPUT_POLICY-FILE", "taskbound/policy.yml");
    inputs.put("INPUT_COMMAND", command);
    inputs.put("INPUT_SANDBOX", "container");
    inputs.put("INPUT_AGENT-IMAGE", AGENT_IMAGE);
    inputs.putAll(CANARIES);
    // The App, as a workflow configures it: step-level env from secrets.
    inputs.put("TASKBOUND_GITHUB_APP_ID", APP_ID);
    inputs.put("TASKBOUND_GITHUB_APP_KEY", pkcs8Pem(APP_KEY));
    inputs.put("TASKBOUND_GITHUB_API_URL", "http://127.0.0.1:" + githubPort);
    inputs.put("GITHUB_API_URL", "http://127.0.0.1:" + githubPort); // the runner's: the same

    Result main = runAction(actionImage, "main", List.of(), inputs);

    assertThat(main.status()).as("main step status; output:%n%s", main.output()).isZero();
    Map<String, String> outputs = keyValues(fileCommands.resolve("output"));
    assertThat(outputs).containsEntry("exit-code", "0");
    assertThat(Files.readString(workspace.resolve("out/allowed.txt"))).isEqualTo(BODY);
    assertThat(requests).containsExactly("GET /hello?from=agent host=api.test:" + port);
    assertThat(Files.readString(workspace.resolve("out/denied.txt")).strip()).isEqualTo("403");
    assertThat(Files.readString(workspace.resolve("out/docker-sock.txt")).strip()).isEqualTo("absent");
    // The token: minted as the App inside the image, used by the agent, revoked once at teardown by itself.
    assertThat(Files.readString(workspace.resolve("out/repositories.txt"))).contains("\"full_name\":\"acme/app\"");
    // First the org ceiling, read with its own token for acme/.github alone and revoked before the agent's is minted.
    assertThat(githubRequests.subList(0, CEILING_READ.size())).containsExactlyElementsOf(CEILING_READ);
    assertThat(githubRequests.subList(CEILING_READ.size(), githubRequests.size())).containsExactly(
        "GET /app app-jwt",
        "GET /repos/acme/app/installation app-jwt",
        "POST /app/installations/42/access_tokens app-jwt {\"repositories\":[\"app\"],\"permissions\":{\"contents\":\"read\"}}",
        "GET /installation/repositories token",
        "DELETE /installation/token token");
    assertThat(Files.readString(fileCommands.resolve("summary"))).contains("**Org ceiling**:"
        + " `github:acme/.github/taskbound/ceiling.yml` at `main` commit `" + CEILING_COMMIT + "`");
    // The token reaches the log only as the runner's ::add-mask:: command, before the agent's fenced output.
    assertThat(main.output()).contains("::add-mask::" + INSTALLATION_TOKEN);
    assertThat(main.output().replace("::add-mask::" + INSTALLATION_TOKEN, "")).doesNotContain(INSTALLATION_TOKEN).doesNotContain("Exception");
    String agentEnv = Files.readString(workspace.resolve("out/env.txt"));
    assertThat(agentEnv).contains("http_proxy=http://127.0.0.1:");
    assertThat(agentEnv).doesNotContain("canary-", "ACTIONS_RUNTIME_TOKEN", "ACTIONS_ID_TOKEN_REQUEST", "PRIVATE KEY",
        "TASKBOUND_GITHUB_APP");
    assertThat(agentEnv).contains("GH_TOKEN=" + INSTALLATION_TOKEN);
    Path bundle = workspace.resolve(outputs.get("bundle"));
    assertThat(bundle.getFileName().toString()).startsWith("E2E-1-").endsWith(".zip");
    VerificationResult verified = BundleVerifier.verify(bundle);
    assertThat(verified.valid()).as(verified.message()).isTrue();
    // The action's JVM took the agent container's own listening socket (one container, no forwarder):
    // one relay hop, not two.
    assertThat(entryText(bundle, "events.jsonl"))
        .contains("net (its own: loopback only, the proxy port handed to the gateway)")
        .contains("\"policy.org_ceiling\"")
        .contains("\"commit\":\"" + CEILING_COMMIT + "\"")
        .contains("\"digest\":\"sha256:" + sha256Hex(orgCeiling()) + "\"")
        .contains("\"gateway.sandbox_port_taken\"")
        .doesNotContain("gateway.sandbox_port_forwarded");
    // This session's sandbox containers only: other tests may use the same daemon at the same time.
    String session = bundle.getFileName().toString().replaceFirst("^E2E-1-(.+)\\.zip$", "$1");
    assertThat(
            docker(Duration.ofSeconds(30), "ps", "--all", "--quiet", "--filter", "label=" + SANDBOX_LABEL,
                    "--filter", "label=dev.taskbound.session=" + session)
                .output())
        .isBlank();

    Map<String, String> state = keyValues(fileCommands.resolve("state"));
    Map<String, String> postEnv = new LinkedHashMap<>(CANARIES);
    state.forEach((name, value) -> postEnv.put("STATE_" + name, value));
    Result post = runAction(actionImage, "post", List.of("--entrypoint", ActionMain.POST_ENTRYPOINT), postEnv);

    assertThat(post.status()).as("post step status; output:%n%s", post.output()).isZero();
  }

  /** {@code docker run --rm} of the action image as the runner does it, bounded; returns status and output. */
  Result runAction(String image, String step, List<String> options, Map<String, String> stepEnv) {
    RunnerStep runnerStep = runnerStep(image, step, options, stepEnv);
    return docker(Duration.ofMinutes(4), runnerStep.env(), runnerStep.args());
  }

  /** The docker CLI arguments and environment of one runner step; the container's name is {@code args[3]}. */
  record RunnerStep(List<String> args, Map<String, String> env) {}

  RunnerStep runnerStep(String image, String step, List<String> options, Map<String, String> stepEnv) {
    String name = "taskbound-action-it-" + UUID.randomUUID().toString().substring(0, 8) + "-" + step;
    containers.add(name);
    List<String> args = new ArrayList<>(List.of("run", "--rm", "--name", name, "--network", "host"));
    args.addAll(List.of("-v", "/var/run/docker.sock:/var/run/docker.sock"));
    args.addAll(List.of("-v", workspace + ":/github/workspace"));
    args.addAll(List.of("-v", home + ":/github/home"));
    args.addAll(List.of("-v", fileCommands + ":/github/file_commands"));
    args.addAll(List.of("-v", runnerTemp + ":/github/runner_temp"));
    args.addAll(List.of("--workdir", "/github/workspace"));
    Map<String, String> env = new LinkedHashMap<>();
    env.put("GITHUB_ACTIONS", "true");
    env.put("GITHUB_ACTION_REPOSITORY", "acme/taskbound"); // a downloaded action, not 'uses: ./'
    env.put("GITHUB_REPOSITORY", "acme/app");
    env.put("GITHUB_REPOSITORY_OWNER", "acme");
    env.put("GITHUB_WORKSPACE", "/github/workspace");
    env.put("HOME", "/github/home");
    env.put("GITHUB_OUTPUT", "/github/file_commands/output");
    env.put("GITHUB_STATE", "/github/file_commands/state");
    env.put("GITHUB_STEP_SUMMARY", "/github/file_commands/summary");
    env.put("GITHUB_ENV", "/github/file_commands/env");
    env.put("GITHUB_PATH", "/github/file_commands/path");
    env.put("RUNNER_TEMP", "/github/runner_temp");
    env.putAll(stepEnv);
    // -e NAME: the docker CLI reads the value from its own environment, as the runner passes them.
    env.keySet().forEach(k -> args.addAll(List.of("-e", k)));
    args.addAll(options);
    args.add(image);
    return new RunnerStep(args, env);
  }

  /**
   * The action image for the current jar: {@code taskbound/action:<hash>}, built from the repository's
   * {@code Dockerfile} with the repository as the context, as the runner builds it, unless an image
   * with that tag exists. No registry is reachable here, so the build arguments name local images
   * and the jar Maven built (the default build compiles from source). Prints how long it took.
   */
  static String actionImage() throws IOException, NoSuchAlgorithmException {
    Path jar = Path.of(System.getProperty("taskbound.action.jar", "target/taskbound-action.jar"));
    assertThat(jar).as("the shaded jar; run in the failsafe phase, after package").isRegularFile();
    Path root = Path.of(System.getProperty("taskbound.repo.root", "..")).toAbsolutePath().normalize();
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    sha.update(Files.readAllBytes(jar));
    sha.update(Files.readAllBytes(root.resolve("Dockerfile")));
    String image = ACTION_REPOSITORY + ":" + HexFormat.of().formatHex(sha.digest()).substring(0, 16);
    long started = System.nanoTime();
    if (docker(Duration.ofSeconds(30), "image", "inspect", "--format", "{{.Id}}", image).ok()) {
      System.out.printf("ActionContainerIT: %s exists (checked in %d ms)%n", image, millisSince(started));
      return image;
    }
    assertThat(docker(Duration.ofSeconds(30), "image", "inspect", "--format", "{{.Id}}", BASE_IMAGE).ok())
        .as("%s must exist: run scripts/docker-test-env.sh as root", BASE_IMAGE)
        .isTrue();
    String cli = dockerCliImage(root);
    String jdk = jdkImage(root);
    Result built =
        docker(
            Duration.ofMinutes(8),
            Map.of("DOCKER_BUILDKIT", "0"),
            List.of("build", "--quiet", "--file", root.resolve("Dockerfile").toString(),
                "--build-arg", "BUILD_IMAGE=" + jdk, "--build-arg", "RUNTIME_IMAGE=" + RUNTIME_IMAGE,
                "--build-arg", "DOCKER_CLI_IMAGE=" + cli, "--build-arg", "DOCKER_CLI_PATH=/usr/bin/docker",
                "--build-arg", "PREBUILT_JAR=" + root.relativize(jar.toAbsolutePath().normalize()),
                "--tag", image, root.toString()));
    assertThat(built.ok()).as("docker build of %s:%n%s", root, built.output()).isTrue();
    System.out.printf("ActionContainerIT: built %s in %d ms, %s bytes%n", image, millisSince(started),
        docker(Duration.ofSeconds(30), "image", "inspect", "--format", "{{.Size}}", image).output().strip());
    return image;
  }

  /** A local image holding the docker CLI (src/test/docker/docker-cli.Dockerfile), built once; apt needs the host network. */
  private static String dockerCliImage(Path root) {
    String cli = "taskbound/docker-cli:bookworm";
    if (!docker(Duration.ofSeconds(30), "image", "inspect", "--format", "{{.Id}}", cli).ok()) {
      Path dockerfile = root.resolve("github-action/src/test/docker/docker-cli.Dockerfile");
      Result built = docker(Duration.ofMinutes(8), Map.of("DOCKER_BUILDKIT", "0"), List.of("build", "--quiet",
          "--network", "host", "--build-arg", "BASE=" + BASE_IMAGE, "--file", dockerfile.toString(), "--tag", cli,
          dockerfile.getParent().toString()));
      assertThat(built.ok()).as("docker build of %s:%n%s", dockerfile, built.output()).isTrue();
    }
    return cli;
  }

  /**
   * A local JDK image (src/test/docker/jdk.Dockerfile) for the build stage's jlink, built once from
   * the JDK running this test, with its links resolved (Debian links its JDK's configuration to /etc).
   */
  private static String jdkImage(Path root) throws IOException {
    String jdk = "taskbound/jdk:17";
    if (!docker(Duration.ofSeconds(30), "image", "inspect", "--format", "{{.Id}}", jdk).ok()) {
      Path context = Files.createTempDirectory("taskbound-jdk-context");
      try {
        // Dangling links (Debian's lib/src.zip without the source package) are left out.
        Files.createDirectories(context.resolve("jdk"));
        Result copied = run(Duration.ofMinutes(4), Map.of("JDK", System.getProperty("java.home"), "TO", context.resolve("jdk").toString()),
            List.of("sh", "-c", "cd \"$JDK\" && find -L . ! -type l -print0 | tar --null --no-recursion -chf - -T - | tar -C \"$TO\" -xf -"));
        assertThat(copied.ok()).as("copy of the JDK:%n%s", copied.output()).isTrue();
        Path dockerfile = root.resolve("github-action/src/test/docker/jdk.Dockerfile");
        Result built = docker(Duration.ofMinutes(8), Map.of("DOCKER_BUILDKIT", "0"), List.of("build", "--quiet",
            "--build-arg", "BASE=" + BASE_IMAGE, "--file", dockerfile.toString(), "--tag", jdk, context.toString()));
        assertThat(built.ok()).as("docker build of %s:%n%s", dockerfile, built.output()).isTrue();
      } finally {
        run(Duration.ofMinutes(2), Map.of(), List.of("rm", "-rf", context.toString()));
      }
    }
    return jdk;
  }

  /** Builds the agent image with scripts/docker-escape-image.sh when it is missing (a no-op otherwise). */
  static void requireAgentImage() {
    Path script = Path.of(System.getProperty("taskbound.repo.root", "..")).resolve("scripts/docker-escape-image.sh");
    Result r = run(Duration.ofMinutes(8), Map.of(), List.of("bash", script.toString(), AGENT_IMAGE));
    assertThat(r.ok()).as("%s:%n%s", script, r.output()).isTrue();
  }

  /** The single-line {@code name=value} entries of a runner file command file (all the action writes here). */
  static Map<String, String> keyValues(Path file) throws IOException {
    Map<String, String> entries = new LinkedHashMap<>();
    for (String line : Files.readAllLines(file)) {
      int eq = line.indexOf('=');
      assertThat(eq).as("a name=value line in %s: %s", file, line).isPositive();
      entries.put(line.substring(0, eq), line.substring(eq + 1));
    }
    return entries;
  }

  private static long millisSince(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
  }

  private static String entryText(Path zip, String entry) throws IOException {
    try (java.util.zip.ZipFile z = new java.util.zip.ZipFile(zip.toFile())) {
      return new String(z.getInputStream(z.getEntry(entry)).readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  record Result(int status, String output) {
    boolean ok() {
      return status == 0;
    }
  }

  static Result docker(Duration timeout, String... args) {
    return docker(timeout, Map.of(), List.of(args));
  }

  private static Result docker(Duration timeout, Map<String, String> env, List<String> args) {
    List<String> command = new ArrayList<>();
    command.add("docker");
    command.addAll(args);
    return run(timeout, env, command);
  }

  /** Runs a command with extra environment, output and errors merged into a file, bounded by {@code timeout}. */
  private static Result run(Duration timeout, Map<String, String> env, List<String> command) {
    try {
      Path log = Files.createTempFile("action-it", ".log");
      try {
        ProcessBuilder builder =
            new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).redirectInput(Redirect.from(new File("/dev/null")));
        builder.environment().putAll(env);
        Process p = builder.start();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
          return new Result(-1, "timed out after " + timeout + ": " + command + "\n" + Files.readString(log));
        }
        return new Result(p.exitValue(), Files.readString(log));
      } finally {
        Files.deleteIfExists(log);
      }
    } catch (IOException e) {
      return new Result(-1, "cannot run " + command + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result(-1, "interrupted: " + command);
    }
  }
}
