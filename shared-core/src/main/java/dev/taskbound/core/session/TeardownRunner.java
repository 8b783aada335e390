package dev.taskbound.core.session;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.taskbound.core.broker.Revocations;
import dev.taskbound.core.broker.registry.RegistryConfig;
import dev.taskbound.core.evidence.BundleInputs;
import dev.taskbound.core.evidence.BundleWriter;
import dev.taskbound.core.evidence.EvidenceLog;
import dev.taskbound.core.evidence.SealingKey;
import dev.taskbound.core.evidence.Sealer;
import dev.taskbound.core.sandbox.ContainerConfig;
import dev.taskbound.core.sandbox.ContainerSandbox;
import dev.taskbound.core.sandbox.ProcessTree;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Replays a teardown journal: runs every pending undo, newest first, each with bounded retries,
 * and records each outcome in the journal and (until it is sealed) in the evidence log. Works the
 * same for a live session and for one whose process died.
 */
final class TeardownRunner {
  static final String STOP_SANDBOX = "stop-sandbox";
  static final String STOP_GATEWAY = "stop-gateway";
  static final String STOP_AGENT_API = "stop-agent-api";
  static final String SEAL_EVIDENCE = "seal-evidence";
  static final String REMOVE_PRIVATE_STATE = "remove-private-state";
  static final String SCRUB_CREDENTIALS = "scrub-credentials";
  static final String REMOVE_REGISTRY_CONFIG = "remove-registry-config";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final SessionLayout layout;
  private final SessionRecord record;
  private final LiveResources live;
  private final Retry retry;
  private final Clock clock;
  private final PhaseTimer timer;
  private final List<StepResult> results = new ArrayList<>();

  TeardownRunner(
      SessionLayout layout, SessionRecord record, LiveResources live, Retry retry, Clock clock, PhaseTimer timer) {
    this.timer = timer;
    this.layout = layout;
    this.record = record;
    this.live = live;
    this.retry = retry;
    this.clock = clock;
  }

  /** The first failure to record a teardown step in the evidence log, if any. */
  private RuntimeException unrecorded;

  TeardownReport run(TeardownJournal journal) {
    List<TeardownJournal.Entry> pending = journal.pending();
    if (live.evidence == null && pending.stream().anyMatch(e -> e.step().equals(SEAL_EVIDENCE))) {
      resumeEvidence();
    }
    for (TeardownJournal.Entry entry : pending) {
      StepResult result = runOne(entry);
      journal.complete(entry.id(), result.outcome(), result.attempts(), result.error().orElse(null));
      results.add(result);
      try {
        recordInEvidence(result);
      } catch (RuntimeException e) {
        // Every undo still runs; the seal then fails, since the log lacks this step (issue 10).
        unrecorded = unrecorded == null ? e : unrecorded;
      }
      timer.mark("close." + entry.step());
    }
    return new TeardownReport(record.sessionId(), results);
  }

  private StepResult runOne(TeardownJournal.Entry entry) {
    if (entry.step().equals(REMOVE_PRIVATE_STATE) && results.stream().anyMatch(StepResult::failed)) {
      // Keep the journal and keys so that `taskbound teardown --session` can retry what failed.
      return new StepResult(
          entry.step(), "skipped", 0, Optional.of("kept for retry: an earlier teardown step failed"));
    }
    boolean broker = Revocations.handles(entry.step());
    // Brokers retry their own calls with backoff (and honour Retry-After); do not multiply that.
    Retry.Outcome outcome = (broker ? new Retry(1, Duration.ZERO) : retry).run(() -> undo(entry));
    if (outcome.ok()) {
      return StepResult.ok(entry.step(), outcome.attempts());
    }
    String error = describe(outcome.failure());
    if (broker) {
      error += "; the credential stays valid until it expires; retry with: taskbound teardown --session "
          + layout.stateDir();
    }
    return StepResult.failed(entry.step(), outcome.attempts(), error);
  }

  private void undo(TeardownJournal.Entry entry) throws Exception {
    switch (entry.step()) {
      case STOP_SANDBOX:
        stopSandbox(entry);
        break;
      case STOP_GATEWAY:
        stopGateway();
        break;
      case STOP_AGENT_API:
        // In-process only: when the session's process died, its agent API died with it.
        if (live.agentApi != null) {
          live.agentApi.close();
        }
        break;
      case SEAL_EVIDENCE:
        sealEvidence();
        break;
      case SCRUB_CREDENTIALS:
        deleteTree(Path.of(entry.handle().path("dir").asText()));
        break;
      case REMOVE_REGISTRY_CONFIG:
        List<Path> files = new ArrayList<>();
        entry.handle().path("files").forEach(f -> files.add(Path.of(f.asText())));
        RegistryConfig.remove(files);
        Files.deleteIfExists(Path.of(entry.handle().path("dir").asText()));
        break;
      case REMOVE_PRIVATE_STATE:
        deleteTree(layout.stateDir());
        deleteTree(record.runtimeDir());
        break;
      default:
        if (Revocations.handles(entry.step())) {
          Map<String, Object> handle = JSON.convertValue(entry.handle(), new TypeReference<Map<String, Object>>() {});
          Revocations.revoke(entry.step(), handle, live.revocation());
          break;
        }
        throw new IllegalStateException("unknown teardown step '" + entry.step() + "' (journal from a newer version?)");
    }
  }

  private void stopSandbox(TeardownJournal.Entry entry) throws InterruptedException, IOException {
    if (live.agent != null) {
      live.agent.destroyTree();
      live.agent.waitFor();
      return;
    }
    if (entry.handle().hasNonNull("pid")) {
      long pid = entry.handle().get("pid").asLong();
      Optional<Instant> start =
          entry.handle().hasNonNull("start") ? Optional.of(Instant.parse(entry.handle().get("start").asText())) : Optional.empty();
      ProcessTree.kill(pid, start);
    }
    if ("container".equals(entry.handle().path("backend").asText())) {
      String[] label = entry.handle().get("label").asText().split("=", 2);
      new ContainerSandbox(ContainerConfig.builder("scratch").endpoint(entry.handle().get("endpoint").asText()).build())
          .removeLabelled(label[0], label[1]);
    }
    // A process started after the journal entry but before its pid was recorded still names the
    // session's runtime directory on its command line.
    ProcessTree.killWithArgument(record.runtimeDir().toString());
  }

  private void stopGateway() throws IOException {
    if (live.gateway != null) {
      live.gateway.close();
    }
    Files.deleteIfExists(layout.gatewaySocket());
  }

  private void sealEvidence() throws IOException {
    if (unrecorded != null) {
      throw new IOException("a teardown step could not be recorded in the evidence log: " + describe(unrecorded), unrecorded);
    }
    EvidenceLog log = live.evidence;
    if (log == null) {
      if (!Files.exists(layout.events())) {
        return; // open failed before the log existed: nothing to seal
      }
      throw new IOException("the evidence log " + layout.events() + " could not be reopened");
    }
    if (!live.closedRecorded) {
      Map<String, Object> closed = new LinkedHashMap<>();
      closed.put("exit_code", live.exitCode.isPresent() ? live.exitCode.getAsInt() : null);
      closed.put("reason", live.endReason);
      closed.put("teardown_ok", results.stream().noneMatch(StepResult::failed));
      log.append("session.closed", closed);
      live.closedRecorded = true;
    }
    // Idempotent: a retry after a failed bundle write seals the same closed log again.
    log.close();
    SealingKey key = live.sealingKey != null ? live.sealingKey : SealingKey.load(layout.sealingKey());
    Path seal = layout.stateDir().resolve("seal.json");
    Sealer.seal(log, key, seal);
    List<StepResult> soFar = new ArrayList<>(results);
    soFar.add(StepResult.ok(SEAL_EVIDENCE, 1));
    String teardownJson = new TeardownReport(record.sessionId(), soFar).toJson();
    Files.createDirectories(record.outDir());
    BundleWriter.write(
        new BundleInputs(
            layout.events(),
            seal,
            readOr(layout.jwks(), "{\"keys\":[]}"),
            readOr(layout.effectivePolicy(), "{}"),
            readOr(layout.identityClaims(), "{}"),
            teardownJson),
        record.bundle());
    live.evidence = null;
  }

  private void resumeEvidence() {
    if (Files.exists(layout.events())) {
      live.evidence = EvidenceLog.resume(layout.events(), record.sessionId(), clock);
    }
  }

  private void recordInEvidence(StepResult result) {
    EvidenceLog log = live.evidence;
    if (log == null || live.closedRecorded) {
      return;
    }
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("step", result.step());
    data.put("outcome", result.outcome());
    data.put("attempts", result.attempts());
    result.error().ifPresent(e -> data.put("error", e));
    log.append("teardown.step", data);
  }

  private static String readOr(Path file, String fallback) throws IOException {
    return Files.exists(file) ? Files.readString(file) : fallback;
  }

  /** A one-line description of a failure; our exceptions never carry secret values. */
  static String describe(Throwable t) {
    String message = t.getMessage();
    String text = t.getClass().getSimpleName() + (message == null || message.isBlank() ? "" : ": " + message);
    return text.replace('\n', ' ');
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(p);
      }
    }
  }
}
