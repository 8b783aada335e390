package dev.taskbound.core.e2e;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.delete;
import static com.github.tomakehurst.wiremock.client.WireMock.deleteRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.putRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import dev.taskbound.core.gate.ApprovalBroker;
import dev.taskbound.core.session.ApprovalClient;
import dev.taskbound.core.testing.AgentOwner;
import dev.taskbound.core.testing.CliProcess;
import dev.taskbound.core.testing.FinishedCommand;
import dev.taskbound.core.testing.RunArtifacts;
import dev.taskbound.core.testing.StubCertificates;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16: a request on an inspected host whose action a rule holds for approval waits, in the
 * gateway, for a person; through what ships ({@code bin/taskbound session start|exec}, netns sandbox,
 * curl, the GitHub API's contents endpoint inspected and pinned to a loopback WireMock stand-in over
 * HTTPS). Granted, it reaches the upstream; denied, it never does. While the most requests that may
 * wait ({@link ApprovalBroker#MAX_PENDING}) wait, each holding a gateway worker, the next one is
 * refused at once and other traffic still flows.
 */
@Timeout(480)
class InspectedApprovalLauncherIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String CONTENTS = "/repos/acme/app/contents/notes.txt";
  private static final String COMMENTS = "/repos/acme/app/issues/1/comments";

  @TempDir Path work;
  private WireMockServer github;
  private StubCertificates.Files tls;
  private Path ws;
  private final List<String> handles = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    tls = StubCertificates.forHosts(Files.createDirectories(work.resolve("stub-tls")), "api.github.com");
    github = new WireMockServer(options().bindAddress("127.0.0.1").httpDisabled(true).dynamicHttpsPort()
        .keystorePath(tls.serverKeyStore().toString()).keystoreType("PKCS12")
        .keystorePassword(StubCertificates.PASSWORD).keyManagerPassword(StubCertificates.PASSWORD)
        .http2PlainDisabled(true).http2TlsDisabled(true));
    github.start();
    // shaped after "Create or update file contents" and "Get a repository"
    github.stubFor(put(urlPathMatching("/repos/acme/app/contents/.*")).willReturn(aResponse().withStatus(200)
        .withHeader("Content-Type", "application/json").withBody("{\"content\":{\"name\":\"notes.txt\",\"path\":\"notes.txt\"}}")));
    // shaped after "Create a label" and "Delete a repository"
    github.stubFor(post(urlEqualTo("/repos/acme/app/labels")).willReturn(aResponse().withStatus(201)
        .withHeader("Content-Type", "application/json").withBody("{\"id\":1,\"name\":\"bug\",\"color\":\"f29513\"}")));
    github.stubFor(delete(urlEqualTo("/repos/acme/app")).willReturn(aResponse().withStatus(204)));
    // shaped after "Create an issue comment"
    github.stubFor(post(urlEqualTo(COMMENTS)).willReturn(aResponse().withStatus(201)
        .withHeader("Content-Type", "application/json").withBody("{\"id\":1,\"body\":\"ok\"}")));
    github.stubFor(get(urlEqualTo("/repos/acme/app")).willReturn(aResponse().withStatus(200)
        .withHeader("Content-Type", "application/json").withBody("{\"id\":1,\"name\":\"app\",\"full_name\":\"acme/app\"}")));
    ws = Files.createDirectories(work.resolve("ws"));
    AgentOwner.own(ws);
  }

  @AfterEach
  void stop() throws Exception {
    for (String h : handles) {
      tb("session", "end", "--session", h);
    }
    github.stop();
  }

  @Test
  void anInspectedWriteWaitsForAPersonReachesGithubOnlyWhenApprovedAndNeverWhenDenied() throws Exception {
    String h = start("answered");

    CompletableFuture<FinishedCommand> first = exec(h, write("feature-1", "put"));
    String id1 = awaitPending(h, first, 1).get(0);
    List<String> listed = tb("approvals", "--session", h).stdout().lines().toList();
    int putsBeforeApproval = github.findAll(putRequestedFor(anyUrl())).size();
    FinishedCommand approve = tb("approve", "--session", h, id1, "--reason", "docs only");
    FinishedCommand approved = first.get(300, TimeUnit.SECONDS);
    CompletableFuture<FinishedCommand> second = exec(h, write("feature-2", "put"));
    String id2 = awaitPending(h, second, 1).get(0);
    FinishedCommand deny = tb("deny", "--session", h, id2, "--reason", "wrong branch");
    FinishedCommand denied = second.get(300, TimeUnit.SECONDS);
    FinishedCommand end = tb("session", "end", "--session", h);

    assertThat(listed).singleElement().satisfies(l -> assertThat(l)
        .startsWith(id1 + "  github.contents.write 'feature-1'  request PUT api.github.com" + CONTENTS + " (template ")
        .contains(", body sha256:").contains(")  (rule github.contents.write: approve)"));
    assertThat(putsBeforeApproval).isZero(); // held in the gateway, nothing sent yet
    assertThat(approve.status()).as(approve.all()).isZero();
    assertThat(approved.stdout()).as(approved.all()).contains("put=200");
    assertThat(deny.status()).as(deny.all()).isZero();
    assertThat(denied.stdout()).as(denied.all()).contains("put=403")
        .contains("(github.contents.write feature-2) is denied: ")
        .contains(id2 + " denied by root (cli): wrong branch");
    assertThat(end.status()).as(end.all()).isZero();
    assertThat(github.findAll(putRequestedFor(anyUrl()))).singleElement()
        .satisfies(r -> assertThat(r.getBodyAsString()).contains("\"branch\":\"feature-1\""));
    List<JsonNode> events = events("answered");
    JsonNode requested = only(events, "approval.requested", id1);
    assertThat(requested.path("source").asText()).isEqualTo("egress.request");
    assertThat(requested.path("target").asText()).isEqualTo("feature-1");
    assertThat(requested.path("method").asText()).isEqualTo("PUT");
    assertThat(requested.path("path").asText()).isEqualTo(CONTENTS);
    assertThat(requested.path("body_sha256").asText()).startsWith("sha256:");
    assertThat(only(events, "approval.granted", id1).path("reason").asText()).isEqualTo("docs only");
    assertThat(only(events, "approval.denied", id2).path("who").asText()).isEqualTo("root");
    assertThat(events.stream().filter(e -> e.path("type").asText().equals("egress.request"))
        .map(e -> e.path("data").path("decision").asText() + " " + e.path("data").path("status").asInt()))
        .containsExactly("allowed 200", "denied 0");
  }

  @Test
  void twoDifferentWritesWithTheSameActionAndNoTargetWaitAsTwoRequestsAndAGrantReleasesOnlyTheOneItNames() throws Exception {
    String h = start("two-writes");
    String api = "https://api.github.com:" + github.httpsPort();

    CompletableFuture<FinishedCommand> both = exec(h, "(curl -sS --max-time 300 -o /dev/null -w 'labels=%{http_code}\\n' -X POST"
        + " -H 'Content-Type: application/json' -d '{\"name\":\"bug\"}' " + api + "/repos/acme/app/labels) > /tmp/l 2>&1 &\n"
        + "(curl -sS --max-time 300 -o /dev/null -w 'delete=%{http_code}\\n' -X DELETE " + api + "/repos/acme/app) > /tmp/d 2>&1 &\n"
        + "wait; cat /tmp/l /tmp/d\n");
    awaitPending(h, both, 2);
    List<String> listed = tb("approvals", "--session", h).stdout().lines().toList();
    String labels = listed.stream().filter(l -> l.contains("request POST api.github.com/repos/acme/app/labels ")).findFirst()
        .orElseThrow(() -> new AssertionError("no labels request listed: " + listed)).split(" ")[0];
    String delete = listed.stream().filter(l -> l.contains("request DELETE api.github.com/repos/acme/app ")).findFirst()
        .orElseThrow(() -> new AssertionError("no delete request listed: " + listed)).split(" ")[0];
    FinishedCommand approve = tb("approve", "--session", h, labels, "--reason", "labels only");
    List<String> stillListed = List.of();
    for (int i = 0; i < 150 && (stillListed.size() != 1 || !stillListed.get(0).startsWith(delete + " ")); i++) {
      stillListed = tb("approvals", "--session", h).stdout().lines().toList();
    }
    int deletesMeanwhile = github.findAll(deleteRequestedFor(anyUrl())).size();
    FinishedCommand deny = tb("deny", "--session", h, delete, "--reason", "never");
    FinishedCommand released = both.get(300, TimeUnit.SECONDS);
    tb("session", "end", "--session", h);

    assertThat(listed).hasSize(2);
    assertThat(approve.status()).as(approve.all()).isZero();
    assertThat(stillListed).singleElement().satisfies(l -> assertThat(l).startsWith(delete + " "));
    assertThat(deletesMeanwhile).isZero();
    assertThat(deny.status()).as(deny.all()).isZero();
    assertThat(released.stdout()).as(released.all()).contains("labels=201").contains("delete=403");
    github.verify(1, postRequestedFor(urlEqualTo("/repos/acme/app/labels")));
    github.verify(0, deleteRequestedFor(anyUrl()));
    List<JsonNode> events = events("two-writes");
    assertThat(only(events, "approval.requested", delete).path("method").asText()).isEqualTo("DELETE");
    assertThat(only(events, "approval.granted", labels).path("path").asText()).isEqualTo("/repos/acme/app/labels");
    assertThat(only(events, "approval.granted", labels).has("callers")).isFalse();
  }

  @Test
  void twoCommentsWithDifferentTextsToOneIssueWaitAsTwoRequestsAndAGrantReleasesOnlyTheTextItNames() throws Exception {
    String h = start("two-comments");
    String api = "https://api.github.com:" + github.httpsPort();
    String ok = "{\"body\":\"looks good\"}";
    String other = "{\"body\":\"merge it anyway\"}";

    CompletableFuture<FinishedCommand> both = exec(h, "(curl -sS --max-time 300 -o /dev/null -w 'ok=%{http_code}\\n'"
        + " -H 'Content-Type: application/json' -d '" + ok + "' " + api + COMMENTS + ") > /tmp/a 2>&1 &\n"
        + "(curl -sS --max-time 300 -o /dev/null -w 'other=%{http_code}\\n'"
        + " -H 'Content-Type: application/json' -d '" + other + "' " + api + COMMENTS + ") > /tmp/b 2>&1 &\n"
        + "wait; cat /tmp/a /tmp/b\n");
    awaitPending(h, both, 2);
    List<String> listed = tb("approvals", "--session", h).stdout().lines().toList();
    String okDigest = sha256(ok);
    String otherDigest = sha256(other);
    String okId = listed.stream().filter(l -> l.contains("body " + okDigest)).findFirst()
        .orElseThrow(() -> new AssertionError("no request with the first body's digest: " + listed)).split(" ")[0];
    String otherId = listed.stream().filter(l -> l.contains("body " + otherDigest)).findFirst()
        .orElseThrow(() -> new AssertionError("no request with the second body's digest: " + listed)).split(" ")[0];
    FinishedCommand approve = tb("approve", "--session", h, okId, "--reason", "that comment only");
    List<String> stillListed = List.of();
    for (int i = 0; i < 150 && (stillListed.size() != 1 || !stillListed.get(0).startsWith(otherId + " ")); i++) {
      stillListed = tb("approvals", "--session", h).stdout().lines().toList();
    }
    FinishedCommand deny = tb("deny", "--session", h, otherId, "--reason", "never");
    FinishedCommand released = both.get(300, TimeUnit.SECONDS);
    tb("session", "end", "--session", h);

    assertThat(listed).hasSize(2).allSatisfy(l -> assertThat(l).contains("request POST api.github.com" + COMMENTS + " "));
    assertThat(approve.status()).as(approve.all()).isZero();
    assertThat(stillListed).singleElement().satisfies(l -> assertThat(l).startsWith(otherId + " "));
    assertThat(deny.status()).as(deny.all()).isZero();
    assertThat(released.stdout()).as(released.all()).contains("ok=201").contains("other=403");
    assertThat(github.findAll(postRequestedFor(urlEqualTo(COMMENTS)))).singleElement()
        .satisfies(r -> assertThat(r.getBodyAsString()).isEqualTo(ok));
    List<JsonNode> events = events("two-comments");
    assertThat(only(events, "approval.granted", okId).path("body_sha256").asText()).isEqualTo(sha256(ok));
    assertThat(only(events, "approval.denied", otherId).path("body_sha256").asText()).isEqualTo(sha256(other));
  }

  @Test
  void anInspectedWriteWhoseCallerGaveUpIsWithdrawn() throws Exception {
    String h = start("gone");

    CompletableFuture<FinishedCommand> gaveUp = exec(h, write("feature-gone", "put").replace("--max-time 300", "--max-time 10"));
    List<String> ids = awaitPending(h, gaveUp, 1);
    FinishedCommand curl = gaveUp.get(300, TimeUnit.SECONDS);
    boolean emptied = false;
    for (int i = 0; i < 60 && !emptied; i++) { // polled: one JVM per call paces it
      emptied = tb("approvals", "--session", h).stdout().isBlank();
    }
    tb("session", "end", "--session", h);

    assertThat(curl.all()).contains("timed out");
    assertThat(emptied).isTrue();
    List<JsonNode> events = events("gone");
    JsonNode withdrawn = only(events, "approval.withdrawn", ids.get(0));
    assertThat(withdrawn.path("who").asText()).isEqualTo("taskbound");
    assertThat(withdrawn.path("channel").asText()).isEqualTo("caller-gone");
    assertThat(events.stream().filter(e -> e.path("type").asText().equals("approval.expired"))).isEmpty();
    assertThat(github.findAll(putRequestedFor(anyUrl()))).isEmpty();
  }

  private static String sha256(String text) throws java.security.NoSuchAlgorithmException {
    return "sha256:" + java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
        .digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
  }

  @Test
  void whileTheMostRequestsThatMayWaitWaitTheNextIsRefusedAtOnceAndOtherTrafficStillFlows() throws Exception {
    String h = start("bounded");
    StringBuilder many = new StringBuilder();
    for (int i = 1; i <= ApprovalBroker.MAX_PENDING; i++) {
      many.append("(").append(write("b" + i, "put-b" + i)).append(") > /tmp/w").append(i).append(" 2>&1 &\n");
    }
    many.append("wait; cat /tmp/w*\n");

    CompletableFuture<FinishedCommand> waiting = exec(h, many.toString());
    List<String> ids = awaitPending(h, waiting, ApprovalBroker.MAX_PENDING);
    FinishedCommand meanwhile = tb("session", "exec", "--session", h, "--", "sh", "-c", write("b17", "extra") + "; "
        + "curl -sS --max-time 60 -o /dev/null -w 'read=%{http_code}\\n' https://api.github.com:" + github.httpsPort() + "/repos/acme/app");
    int stillWaiting = tb("approvals", "--session", h).stdout().lines().toList().size();
    ApprovalClient people = ApprovalClient.of(Path.of(h));
    for (String id : ids) {
      people.answer(id, false, "cleanup", "cli", "");
    }
    FinishedCommand released = waiting.get(300, TimeUnit.SECONDS);
    tb("session", "end", "--session", h);

    assertThat(meanwhile.status()).as(meanwhile.all()).isZero();
    assertThat(meanwhile.stdout()).contains("extra=403").contains("too many requests wait for approval (16)")
        .contains("read=200");
    assertThat(stillWaiting).isEqualTo(ApprovalBroker.MAX_PENDING);
    assertThat(released.stdout().lines().filter(l -> l.matches("put-b\\d+=403"))).as(released.all()).hasSize(ApprovalBroker.MAX_PENDING);
    assertThat(github.findAll(putRequestedFor(anyUrl()))).isEmpty();
    github.verify(1, getRequestedFor(urlEqualTo("/repos/acme/app")));
    List<JsonNode> events = events("bounded");
    assertThat(events.stream().filter(e -> e.path("type").asText().equals("approval.denied"))
        .map(e -> e.path("data").path("who").asText())).containsOnly("root", "taskbound")
        .hasSize(ApprovalBroker.MAX_PENDING + 1);
  }

  /** The agent's write of notes.txt on {@code branch}: prints {@code LABEL=STATUS} and the body. */
  private String write(String branch, String label) {
    return "curl -sS --max-time 300 -o - -w '\\n" + label + "=%{http_code}\\n' -X PUT -H 'Content-Type: application/json'"
        + " -d '{\"message\":\"notes\",\"content\":\"aGk=\",\"branch\":\"" + branch + "\"}'"
        + " https://api.github.com:" + github.httpsPort() + CONTENTS;
  }

  private String start(String name) throws Exception {
    Path policy = Files.writeString(work.resolve(name + ".yml"), String.join("\n",
        "apiVersion: taskbound.dev/v1",
        "kind: Task",
        "spec:",
        "  ttl: 10m",
        "  sandbox: {backends: [netns]}",
        "  egress:",
        "    allow: [\"api.github.com:" + github.httpsPort() + "\"]",
        "    inspect: [api.github.com]",
        "    hosts: {api.github.com: 127.0.0.1}",
        "  gate:",
        "    rules: [{action: github.contents.write, decision: approve}, {action: github.api.write, decision: approve},"
            + " {action: github.issue.comment, decision: approve}]",
        "    approval: {timeout: 5m}",
        ""));
    FinishedCommand start = tb("session", "start", "--task", "INSPECT-16", "--policy", policy.toString(), "--out",
        work.resolve("out-" + name).toString());
    assertThat(start.status()).as(start.all()).isZero();
    String handle = start.stdout().strip();
    handles.add(handle);
    return handle;
  }

  /** Polls the listing (one JVM per call paces it) until {@code count} requests wait; their ids. */
  private List<String> awaitPending(String h, CompletableFuture<FinishedCommand> caller, int count) throws Exception {
    for (int i = 0; i < 150; i++) {
      assertThat(caller).as("ended before asking: " + (caller.isDone() ? caller.get().all() : "")).isNotDone();
      FinishedCommand list = tb("approvals", "--session", h);
      assertThat(list.status()).as(list.all()).isZero();
      List<String> lines = list.stdout().lines().toList();
      if (lines.size() >= count) {
        return lines.stream().map(l -> l.split(" ")[0]).toList();
      }
    }
    throw new AssertionError("fewer than " + count + " requests waited for approval");
  }

  private List<JsonNode> events(String name) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    for (String line : RunArtifacts.bundleText(work.resolve("out-" + name), "events.jsonl").split("\n")) {
      if (!line.isBlank()) {
        out.add(JSON.readTree(line));
      }
    }
    return out;
  }

  private static JsonNode only(List<JsonNode> events, String type, String request) {
    List<JsonNode> found = events.stream()
        .filter(e -> e.path("type").asText().equals(type) && e.path("data").path("request").asText().equals(request))
        .map(e -> e.path("data")).toList();
    assertThat(found).as(type + " " + request).hasSize(1);
    return found.get(0);
  }

  private CompletableFuture<FinishedCommand> exec(String h, String script) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return tb("session", "exec", "--session", h, "--", "sh", "-c", script);
      } catch (Exception e) {
        throw new java.util.concurrent.CompletionException(e);
      }
    });
  }

  private FinishedCommand tb(String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(CliProcess.launcher().toString());
    command.addAll(List.of(args));
    return FinishedCommand.run(command, ws, Map.of("XDG_CACHE_HOME", work.resolve("cache").toString(),
        "TASKBOUND_HOME", work.resolve("home").toString(), "TASKBOUND_JAR", CliProcess.shadedJar().toString(),
        "TASKBOUND_INSPECT_UPSTREAM_CA", tls.caPem().toString()), Duration.ofSeconds(300));
  }
}
