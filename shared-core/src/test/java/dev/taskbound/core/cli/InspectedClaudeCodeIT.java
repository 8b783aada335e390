package dev.taskbound.core.cli;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import dev.taskbound.core.broker.TestKeys;
import dev.taskbound.core.broker.github.GithubStubs;
import dev.taskbound.core.evidence.BundleVerifier;
import dev.taskbound.core.evidence.VerificationResult;
import dev.taskbound.core.testing.AgentCliRun;
import dev.taskbound.core.testing.AgentOwner;
import dev.taskbound.core.testing.FileGrep;
import dev.taskbound.core.testing.GitHttpsFront;
import dev.taskbound.core.testing.MessagesApiStandIn;
import dev.taskbound.core.testing.RunArtifacts;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15's "done when": the real Claude Code CLI (as in {@link ClaudeCodeIT}) through
 * {@code bin/taskbound} in the netns sandbox, with a policy that inspects GitHub's git host and the
 * model API. The agent holds placeholders only: {@code GH_TOKEN} for the GitHub App token and
 * {@code ANTHROPIC_API_KEY} for the model key (a {@code kind: model} registry); the gateway injects
 * both. The scripted model asks it to push its task branch (to {@code git http-backend} behind an
 * HTTPS front that demands the real token), to push {@code main} (refused by the gate's built-in
 * rule, named in the evidence, before the pack is sent), and to look for the real values in its
 * environment, files and every process's environment.
 */
@Timeout(300)
class InspectedClaudeCodeIT {
  private static final Path REPO = Path.of(System.getProperty("taskbound.repo.root")).toAbsolutePath().normalize();
  private static final Path JAR = Path.of(System.getProperty("taskbound.jar"));
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final KeyPair APP_KEY = TestKeys.rsa();
  private static final String TASK = "AGENT-15";
  private static final String TASK_REF = "refs/heads/taskbound/" + TASK + "/work";
  private static final String MODEL_KEY = "sk-ant-api03-SENTINELinspectedMODELkey0123456789abcdefXYZ";

  @TempDir Path work;

  @Test
  void theAgentPushesItsTaskBranchIsRefusedMainByTheNamedRuleAndNeverHoldsTheTokenOrTheModelKey() throws Exception {
    Path claudeBin = Path.of(ClaudeCodeIT.CLAUDE_PREFIX, "bin");
    assertThat(claudeBin.resolve("claude")).as("Claude Code is installed by scripts/test-prerequisites.sh").isExecutable();
    Path workspace = Files.createDirectories(work.resolve("workspace"));
    git(workspace, "init", "-q", "-b", "main");
    git(workspace, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "start");
    WireMockServer github = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort());
    github.start();
    try (GitHttpsFront front = GitHttpsFront.start(Files.createDirectories(work.resolve("git-front")), GithubStubs.TOKEN)) {
      GithubStubs.stubApp(github);
      front.cloneBare(workspace, "acme/app");
      List<String> refsBefore = front.refs("acme/app");
      String origin = "https://github.com:" + front.port() + "/git/acme/app.git";
      git(workspace, "remote", "add", "origin", origin);
      Path out = work.resolve("evidence");
      // git sends the placeholder as Basic credentials; the gateway swaps in the real token.
      String push = "git -c user.name=agent -c user.email=agent@example.test -c \"http.extraHeader=Authorization: Basic"
          + " $(printf 'x-access-token:%s' \"$GH_TOKEN\" | base64 -w0)\" push origin HEAD:";
      // The fragments travel base64-encoded, so the conversation Claude Code keeps on disk does not hold them.
      String hunt = "for e in " + b64(GithubStubs.TOKEN.substring(8, 30)) + " " + b64(MODEL_KEY.substring(14, 40)) + "; do"
          + " f=$(printf %s \"$e\" | base64 -d);"
          + " printf 'env-hits=%s\\n' \"$(env | grep -c -F \"$f\")\";"
          + " printf 'file-hits=[%s]\\n' \"$(grep -rsl -F \"$f\" \"$HOME\" \"$PWD\" /tmp \"${TASKBOUND_CREDENTIALS_DIR:-/nonexistent}\""
          + " /proc/[0-9]*/environ 2>/dev/null | tr '\\n' ' ')\"; done;"
          + " case \"$ANTHROPIC_API_KEY\" in *tbph*) echo model-key=placeholder;; *) echo model-key=other;; esac;"
          + " case \"$GH_TOKEN\" in ghs_tbph*) echo gh-token=placeholder;; *) echo gh-token=other;; esac";
      List<com.fasterxml.jackson.databind.node.ObjectNode> script = List.of(
          MessagesApiStandIn.toolCall("Bash", Map.of("command",
              "git -c user.name=agent -c user.email=agent@example.test commit -q --allow-empty -m 'agent work' && "
                  + push + TASK_REF + " 2>&1; echo push-task=$?", "description", "push the task branch")),
          MessagesApiStandIn.toolCall("Bash", Map.of("command", push + "refs/heads/main 2>&1; echo push-main=$?",
              "description", "push main")),
          MessagesApiStandIn.toolCall("Bash", Map.of("command", hunt, "description", "look for credentials")));
      AgentCliRun.Result run;
      List<String> results;
      try (MessagesApiStandIn api = MessagesApiStandIn.startScripted(Files.createDirectories(work.resolve("model-api")),
          0, script)) {
        Path upstreamCa = work.resolve("upstream-ca.pem");
        Files.writeString(upstreamCa, Files.readString(front.caPem()) + Files.readString(api.caPem()));
        AgentOwner.own(workspace);
        Path policy = Files.writeString(work.resolve("agent.yml"), String.join("\n",
            "apiVersion: taskbound.dev/v1",
            "kind: Task",
            "spec:",
            "  ttl: 5m",
            "  sandbox: {backends: [netns]}",
            "  egress:",
            "    allow: [\"api.anthropic.com:" + api.port() + "\", \"github.com:" + front.port() + "\"]",
            "    inspect: [api.anthropic.com, github.com]",
            "    hosts: {api.anthropic.com: 127.0.0.1, github.com: 127.0.0.1}",
            "  github:",
            "    repositories: [acme/app]",
            "    permissions: {contents: write}",
            "  registries:",
            "    - {kind: model, url: \"https://api.anthropic.com\", header: x-api-key, token: {env: ANTHROPIC_API_KEY}}",
            ""));
        Map<String, String> env = new java.util.HashMap<>(Map.of(
            "PATH", claudeBin + ":" + System.getenv("PATH"),
            "HOME", Files.createDirectories(work.resolve("home")).toString(),
            "ANTHROPIC_API_KEY", MODEL_KEY,
            "ANTHROPIC_BASE_URL", "https://api.anthropic.com:" + api.port(),
            "DISABLE_AUTOUPDATER", "1",
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1"));
        env.put("TASKBOUND_GITHUB_APP_ID", GithubStubs.APP_ID);
        env.put("TASKBOUND_GITHUB_APP_KEY", TestKeys.pkcs1Pem(APP_KEY));
        env.put("TASKBOUND_GITHUB_API_URL", "http://127.0.0.1:" + github.port());
        env.put("TASKBOUND_INSPECT_UPSTREAM_CA", upstreamCa.toString());

        // when Claude Code runs the scripted conversation in the envelope; the host's real key is
        // asked for by --pass-env too, and still only the placeholder goes in
        run = AgentCliRun.run(work, JAR, workspace, env, List.of(REPO.resolve("bin/taskbound").toString(), "run",
            "--task", TASK, "--policy", policy.toString(), "--out", out.toString(),
            "--pass-env", "ANTHROPIC_API_KEY,ANTHROPIC_BASE_URL,DISABLE_AUTOUPDATER,CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC",
            "--", "claude", "-p", "Push your work", "--dangerously-skip-permissions"));

        // then the conversation ran to its end with the real key injected on every model call
        System.out.println("tool results: " + api.toolResults());
        assertThat(run.status()).as(run.output()).isZero();
        assertThat(run.output()).contains(MessagesApiStandIn.SCRIPT_DONE);
        results = api.toolResults();
        assertThat(results).as(run.output()).hasSize(3);
        assertThat(api.apiKeys()).isNotEmpty().allSatisfy(k -> assertThat(k).isEqualTo(MODEL_KEY));
      }
      // the task branch was pushed, main was not
      assertThat(results.get(0)).contains("push-task=0");
      // git names the rule (the gateway answers the refused push with git's own status report)
      assertThat(results.get(1)).contains("push-main=1")
          .contains("! [remote rejected] HEAD -> main (taskbound: git.push denied by built-in: git.push only to"
              + " refs/heads/taskbound/" + TASK + "/**)")
          .contains("remote: taskbound: git.push refs/heads/main: the built-in default lets the agent write only to");
      assertThat(results.get(2).lines().filter(l -> l.startsWith("env-hits="))).containsExactly("env-hits=0", "env-hits=0");
      assertThat(results.get(2).lines().filter(l -> l.startsWith("file-hits="))).containsExactly("file-hits=[]", "file-hits=[]");
      assertThat(results.get(2)).contains("model-key=placeholder").contains("gh-token=placeholder");
      String head = git(workspace, "-c", "safe.directory=*", "rev-parse", "HEAD").strip();
      List<String> refsAfter = front.refs("acme/app");
      assertThat(refsAfter).contains(head + " " + TASK_REF);
      assertThat(refsAfter.stream().filter(r -> r.endsWith(" refs/heads/main")).toList())
          .isEqualTo(refsBefore.stream().filter(r -> r.endsWith(" refs/heads/main")).toList());
      // GitHub's git host saw the real token on exactly: the task push (advertisement and pack) and
      // the advertisement of the push to main, whose pack the gateway never sent
      assertThat(front.requests()).containsExactly(
          "GET /git/acme/app.git/info/refs?service=git-receive-pack token",
          "POST /git/acme/app.git/git-receive-pack token",
          "GET /git/acme/app.git/info/refs?service=git-receive-pack token");

      List<JsonNode> events = new ArrayList<>();
      for (String line : RunArtifacts.bundleText(out, "events.jsonl").split("\n")) {
        events.add(JSON.readTree(line));
      }
      List<JsonNode> requests = events.stream().filter(e -> e.path("type").asText().equals("egress.request")).toList();
      assertThat(requests).filteredOn(e -> e.path("data").toString().contains("\"refs/heads/main\"")).singleElement()
          .satisfies(e -> {
            assertThat(e.path("data").path("decision").asText()).isEqualTo("denied");
            assertThat(e.path("data").path("rule").asText()).isEqualTo("built-in: git.push only to refs/heads/taskbound/"
                + TASK + "/**");
          });
      assertThat(requests).filteredOn(e -> e.path("data").toString().contains(TASK_REF)).singleElement()
          .satisfies(e -> assertThat(e.path("data").path("decision").asText()).isEqualTo("allowed"));
      assertThat(requests).filteredOn(e -> e.path("data").path("host").asText().equals("api.anthropic.com")
              && e.path("data").path("path").asText().equals("/v1/messages"))
          .isNotEmpty()
          .allSatisfy(e -> {
            assertThat(e.path("data").path("actions").get(0).path("name").asText()).isEqualTo("model.call");
            assertThat(e.path("data").path("decision").asText()).isEqualTo("allowed");
          });
      assertThat(events).filteredOn(e -> e.path("type").asText().equals("credentials.exposed"))
          .anySatisfy(e -> assertThat(e.path("data").path("injected").toString()).contains("ANTHROPIC_API_KEY"))
          .anySatisfy(e -> assertThat(e.path("data").path("injected").toString()).contains("github"));
      VerificationResult verified = BundleVerifier.verify(RunArtifacts.onlyBundle(out));
      assertThat(verified.valid()).as(verified.message()).isTrue();
      assertThat(RunArtifacts.bundleText(out, "summary.md")).contains("model.call").contains("git.push");
      for (String secret : List.of(GithubStubs.TOKEN, MODEL_KEY)) {
        assertThat(FileGrep.filesContaining(secret, work)).as("files holding a real credential").isEmpty();
      }
    } finally {
      github.stop();
    }
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  private static String git(Path dir, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("git"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(output).isZero();
    return output;
  }
}
