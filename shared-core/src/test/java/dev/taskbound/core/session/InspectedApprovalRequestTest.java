package dev.taskbound.core.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.core.egress.RequestGate;
import dev.taskbound.core.gate.ActionRules;
import dev.taskbound.core.gate.ApprovalBroker;
import dev.taskbound.core.policy.PolicyResolver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An inspected request that needs approval waits as a request naming the call it releases (method,
 * host, concrete path, template, body digest): two different calls with the same action and an empty
 * target (a label write, a repository delete, both {@code github.api.write}) are two requests, and a
 * grant releases only the one it names.
 */
@Timeout(60)
class InspectedApprovalRequestTest {
  @TempDir Path dir;

  private final List<Map<String, ?>> events = new ArrayList<>();

  private SessionInspection inspection(ApprovalBroker broker) throws Exception {
    Path task = Files.writeString(dir.resolve("task.yml"), String.join("\n", "apiVersion: taskbound.dev/v1", "kind: Task",
        "spec:", "  egress:", "    allow: [api.github.com]", "    inspect: [api.github.com]", "  gate:",
        "    rules: [{action: github.api.write, decision: approve}]", ""));
    ActionRules rules = ActionRules.of(PolicyResolver.resolve(List.of(task), Optional.empty()), "T-1");
    SessionInspection s = SessionInspection.start(List.of("api.github.com"), "s-1", Clock.systemUTC(),
        dir.resolve("inspect"), Optional.empty(), rules, (type, data) -> {
          synchronized (events) {
            events.add(Map.of("type", type, "data", data));
          }
        });
    s.approvals(broker);
    return s;
  }

  private static RequestGate.RequestLine line(String method, String path) {
    return new RequestGate.RequestLine(method, "api.github.com", path, path, "", "");
  }

  private static List<ApprovalBroker.Pending> awaitPending(ApprovalBroker broker, int count) throws InterruptedException {
    for (int i = 0; i < 500 && broker.pending().size() < count; i++) {
      Thread.sleep(10); // polls the broker's state; the assertion below is on the count, not on time
    }
    return broker.pending();
  }

  @Test
  void twoDifferentWritesWithTheSameActionAndNoTargetWaitAsTwoRequestsAndAGrantReleasesOnlyItsOwn() throws Exception {
    ApprovalBroker broker = ApprovalBroker.waiting(Duration.ofMinutes(1), Clock.systemUTC(), (t, d) -> {});
    SessionInspection gate = inspection(broker);
    RequestGate.RequestAction write = new RequestGate.RequestAction("github.api.write", "");

    CompletableFuture<RequestGate.Verdict> labels = CompletableFuture.supplyAsync(
        () -> gate.decide(write, line("POST", "/repos/acme/app/labels")));
    awaitPending(broker, 1);
    CompletableFuture<RequestGate.Verdict> delete = CompletableFuture.supplyAsync(
        () -> gate.decide(write, line("DELETE", "/repos/acme/app")));
    List<ApprovalBroker.Pending> pending = awaitPending(broker, 2);
    int callers = broker.callers();
    broker.answer(pending.get(0).id(), true, "alice", "cli", "labels only");
    RequestGate.Verdict labelsVerdict = labels.get(30, TimeUnit.SECONDS);
    boolean deleteStillWaits = !delete.isDone() && broker.pending().size() == 1;
    broker.answer(pending.get(1).id(), false, "alice", "cli", "no");
    RequestGate.Verdict deleteVerdict = delete.get(30, TimeUnit.SECONDS);

    assertThat(pending).hasSize(2);
    assertThat(callers).isEqualTo(2);
    assertThat(pending.get(0).request().links()).containsEntry("method", "POST").containsEntry("host", "api.github.com")
        .containsEntry("path", "/repos/acme/app/labels").containsEntry("source", "egress.request");
    assertThat(pending.get(1).request().links()).containsEntry("method", "DELETE").containsEntry("path", "/repos/acme/app");
    assertThat(labelsVerdict.allowed()).isTrue();
    assertThat(deleteStillWaits).isTrue();
    assertThat(deleteVerdict.allowed()).isFalse();
  }

  @Test
  void twoBodiesThatDifferOnlyInContentEncodingWaitAsTwoRequestsAndAGrantReleasesOnlyItsOwn() throws Exception {
    // given two held comments with the same bytes, one declared gzip
    ApprovalBroker broker = ApprovalBroker.waiting(Duration.ofMinutes(1), Clock.systemUTC(), (t, d) -> {});
    SessionInspection gate = inspection(broker);
    RequestGate.RequestAction write = new RequestGate.RequestAction("github.api.write", "");
    String body = "sha256:" + "cd".repeat(32);
    RequestGate.RequestLine plain = new RequestGate.RequestLine("POST", "api.github.com", "/repos/acme/app/labels",
        "/repos/{owner}/{repo}/labels", "", body, "application/json", "");
    RequestGate.RequestLine gzip = new RequestGate.RequestLine("POST", "api.github.com", "/repos/acme/app/labels",
        "/repos/{owner}/{repo}/labels", "", body, "application/json", "gzip");

    // when both wait and the plain one is granted
    CompletableFuture<RequestGate.Verdict> first = CompletableFuture.supplyAsync(() -> gate.decide(write, plain));
    awaitPending(broker, 1);
    CompletableFuture<RequestGate.Verdict> second = CompletableFuture.supplyAsync(() -> gate.decide(write, gzip));
    List<ApprovalBroker.Pending> pending = awaitPending(broker, 2);
    broker.answer(pending.get(0).id(), true, "alice", "cli", "plain only");
    RequestGate.Verdict firstVerdict = first.get(30, TimeUnit.SECONDS);
    boolean secondStillWaits = !second.isDone() && broker.pending().size() == 1;
    broker.answer(pending.get(1).id(), false, "alice", "cli", "no");
    RequestGate.Verdict secondVerdict = second.get(30, TimeUnit.SECONDS);

    // then they were two approvals, each shown its encoding, and the grant released only the plain one
    assertThat(pending).hasSize(2);
    assertThat(pending.get(0).request().links()).containsEntry("content_type", "application/json")
        .doesNotContainKey("content_encoding");
    assertThat(pending.get(1).request().links()).containsEntry("content_encoding", "gzip");
    assertThat(ApprovalClient.Waiting.requestLine(pending.get(1).request().links())).contains("content encoding gzip");
    assertThat(firstVerdict.allowed()).isTrue();
    assertThat(secondStillWaits).isTrue();
    assertThat(secondVerdict.allowed()).isFalse();
  }

  @Test
  void theRequestedAndSettledEventsNameTheMethodHostPathAndBodyDigest() throws Exception {
    List<Map<String, Object>> recorded = new ArrayList<>();
    ApprovalBroker broker = ApprovalBroker.waiting(Duration.ofMinutes(1), Clock.systemUTC(), (t, d) -> {
      synchronized (recorded) {
        recorded.add(Map.of("type", t, "data", Map.copyOf(d)));
      }
    });
    SessionInspection gate = inspection(broker);
    RequestGate.RequestLine ref = new RequestGate.RequestLine("POST", "api.github.com", "/repos/acme/app/git/refs",
        "/repos/{owner}/{repo}/git/refs", "", "sha256:" + "ab".repeat(32));

    CompletableFuture<RequestGate.Verdict> v = CompletableFuture.supplyAsync(
        () -> gate.decide(new RequestGate.RequestAction("github.api.write", ""), ref));
    String id = awaitPending(broker, 1).get(0).id();
    broker.answer(id, false, "alice", "cli", "no");
    v.get(30, TimeUnit.SECONDS);

    assertThat(recorded).extracting(e -> e.get("type")).containsExactly("approval.requested", "approval.denied");
    assertThat(recorded).allSatisfy(e -> assertThat(data(e)).containsEntry("method", "POST")
        .containsEntry("host", "api.github.com").containsEntry("path", "/repos/acme/app/git/refs")
        .containsEntry("path_template", "/repos/{owner}/{repo}/git/refs").containsEntry("body_sha256", "sha256:" + "ab".repeat(32)));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> data(Map<String, Object> event) {
    return (Map<String, Object>) event.get("data");
  }

  @Test
  void theListingAndTheHintShowTheMethodHostAndPathEscaped() {
    ApprovalClient.Waiting w = new ApprovalClient.Waiting(Map.of("request", "approval-1", "action", "github.api.write",
        "target", "", "rule", "github.api.write: approve", "expires_at", "t", "method", "DELETE", "host", "api.github.com",
        "path", "/repos/acme/app\n\u202e", "path_template", "/repos/{owner}/{repo}"));
    ApprovalBroker.Pending p = new ApprovalBroker.Pending("approval-1", new ApprovalBroker.Request("github.api.write", "",
        "needs approval", "github.api.write: approve", Map.of("source", "egress.request", "method", "DELETE", "host",
        "api.github.com", "path", "/repos/acme/app", "path_template", "/repos/{owner}/{repo}")),
        java.time.Instant.EPOCH, java.time.Instant.EPOCH);

    String listed = w.describe();
    String hint = dev.taskbound.core.session.ApprovalClient.Waiting.requestLine(p.request().links());

    assertThat(listed).contains("request DELETE api.github.com/repos/acme/app\\n\\u202e (template /repos/{owner}/{repo})")
        .doesNotContain("\n");
    assertThat(w.json()).contains("\"method\":\"DELETE\"").contains("\"path\":\"/repos/acme/app\\\\n\\\\u202e\"");
    assertThat(hint).isEqualTo("  request DELETE api.github.com/repos/acme/app (template /repos/{owner}/{repo})");
  }

  @Test
  void anActionARuleHoldsForAPersonIsHeldSoTheGatewayReadsItsBodyAndOthersAreNot() throws Exception {
    SessionInspection gate = inspection(ApprovalBroker.waiting(Duration.ofMinutes(1), Clock.systemUTC(), (t, d) -> {}));

    boolean write = gate.holds(new RequestGate.RequestAction("github.api.write", ""));
    boolean read = gate.holds(new RequestGate.RequestAction("http.request", ""));
    gate.approvals(null);
    boolean writeWithoutBroker = gate.holds(new RequestGate.RequestAction("github.api.write", ""));

    assertThat(write).isTrue();
    assertThat(read).isFalse();
    assertThat(writeWithoutBroker).isFalse(); // refused at once instead, nothing to read
  }

  @Test
  void aHeldRequestWhoseAgentHasGoneIsWithdrawnAndRefused() throws Exception {
    List<String> recorded = new ArrayList<>();
    ApprovalBroker broker = ApprovalBroker.waiting(Duration.ofMinutes(1), Clock.systemUTC(), (t, d) -> {
      synchronized (recorded) {
        recorded.add(t + " " + d.get("channel"));
      }
    });
    SessionInspection gate = inspection(broker);

    RequestGate.Verdict v = gate.decide(new RequestGate.RequestAction("github.api.write", ""),
        line("POST", "/repos/acme/app/labels"), () -> true);

    assertThat(v.allowed()).isFalse();
    assertThat(recorded).containsExactly("approval.requested null", "approval.withdrawn caller-gone");
    assertThat(broker.pending()).isEmpty();
  }

  @Test
  void anApprovalWithoutTheRequestItComesFromIsRefusedWithoutAsking() throws Exception {
    ApprovalBroker broker = ApprovalBroker.waiting(Duration.ofMinutes(1), Clock.systemUTC(), (t, d) -> {});
    SessionInspection gate = inspection(broker);

    RequestGate.Verdict v = gate.decide(new RequestGate.RequestAction("github.api.write", ""));

    assertThat(v.allowed()).isFalse();
    assertThat(v.reason()).contains("the request it comes from is unknown");
    assertThat(broker.pending()).isEmpty();
  }
}
