package dev.taskbound.core.session;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.taskbound.core.Json;
import dev.taskbound.core.broker.Revocations;
import dev.taskbound.core.broker.registry.RegistryConfig;
import dev.taskbound.core.evidence.Addenda;
import dev.taskbound.core.evidence.BundleInputs;
import dev.taskbound.core.evidence.BundleWriter;
import dev.taskbound.core.evidence.EvidenceFiles;
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
  /** Not journalled: a retry after the seal seals the continued chain into an addendum. */
  static final String SEAL_ADDENDUM = "seal-addendum";

  private static final ObjectMapper JSON = Json.MAPPER;

  private final SessionLayout layout;
  private final SessionRecord record;
  private final LiveResources live;
  private final Retry retry;
  private final Clock clock;
  private final PhaseTimer timer;
  private final List<StepResult> results = new ArrayList<>();
  /** The report of the attempt before this one, when this is a retry; null otherwise. */
  private TeardownReport previous;
  /** Whether remove-private-state is among this run's steps (it runs last, after the seal). */
  private boolean removalPending;
  /** The bundle or addendum this run wrote, once written. */
  private Path sealed;

  TeardownRunner(
      SessionLayout layout, SessionRecord record, LiveResources live, Retry retry, Clock clock, PhaseTimer timer) {
    this.timer = timer;
    this.layout = layout;
    this.record = record;
    this.live = live;
    this.retry = retry;
    this.clock = clock;
  }

  /**
   * The bundle or addendum this run wrote; empty if it wrote none. The summary published beside it
   * comes from this file, never from one found by its name: the evidence directory may be the
   * agent's workspace, where it can plant a file named like an addendum.
   */
  Optional<Path> sealed() {
    return Optional.ofNullable(sealed);
  }

  /** The first failure to record a teardown step in the evidence log, if any. */
  private RuntimeException unrecorded;

  /** Makes this run a retry of the attempt {@code earlier} reported: the new report carries it as history. */
  TeardownRunner after(TeardownReport earlier) {
    this.previous = earlier;
    return this;
  }

  TeardownReport run(TeardownJournal journal) {
    publishKeptBundle(journal);
    List<TeardownJournal.Entry> pending = sandboxFirst(journal.pending());
    removalPending = pending.stream().anyMatch(e -> e.step().equals(REMOVE_PRIVATE_STATE));
    boolean sealPending = pending.stream().anyMatch(e -> e.step().equals(SEAL_EVIDENCE));
    boolean sealedBefore = journal.entries().stream().anyMatch(e -> e.step().equals(SEAL_EVIDENCE) && e.done());
    // A retry after the bundle was sealed (a revocation had failed): the chain goes on from the
    // sealed head and is sealed again into an addendum; the bundle itself is never rewritten.
    boolean reseal = !sealPending && sealedBefore && Files.exists(layout.events())
        && pending.stream().anyMatch(e -> !e.step().equals(REMOVE_PRIVATE_STATE));
    if (live.evidence == null && (sealPending || reseal)) {
      resumeEvidence();
    }
    int attempt = 1;
    if (reseal && live.evidence != null) {
      attempt = attemptsRecorded() + 1;
      Map<String, Object> resumed = new LinkedHashMap<>();
      resumed.put("attempt", attempt);
      resumed.put("pending", pending.stream().map(TeardownJournal.Entry::step).toList());
      live.evidence.append("teardown.resumed", resumed);
    }
    for (TeardownJournal.Entry entry : pending) {
      if (entry.step().equals(REMOVE_PRIVATE_STATE) && reseal) {
        StepResult sealed = sealAddendum(attempt);
        results.add(sealed);
        timer.mark("close.seal-addendum");
      }
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
    TeardownReport report = new TeardownReport(record.sessionId(), results);
    return previous == null ? report : report.after(previous);
  }

  /**
   * The pending undos in the order they run: the sandbox first, so that the agent is gone before any
   * of its credentials is revoked (a token refreshed during the run was journalled after the
   * sandbox), then the rest newest first.
   */
  static List<TeardownJournal.Entry> sandboxFirst(List<TeardownJournal.Entry> newestFirst) {
    List<TeardownJournal.Entry> ordered = new ArrayList<>();
    newestFirst.stream().filter(e -> e.step().equals(STOP_SANDBOX)).forEach(ordered::add);
    newestFirst.stream().filter(e -> !e.step().equals(STOP_SANDBOX)).forEach(ordered::add);
    return ordered;
  }

  /** How many teardown attempts the log records: {@code session.closed}, then a {@code teardown.completed} per retry. */
  private int attemptsRecorded() {
    int n = 0;
    for (var e : EvidenceLog.read(layout.events())) {
      if (e.type().equals("session.closed") || e.type().equals("teardown.completed")) {
        n++;
      }
    }
    return Math.max(n, 1);
  }

  /**
   * What remove-private-state will do, known before the seal so that the sealed report lists every
   * step: skipped when a step failed (the state is kept for a retry), else scheduled.
   */
  private StepResult plannedRemoval() {
    if (results.stream().anyMatch(StepResult::failed)) {
      return new StepResult(REMOVE_PRIVATE_STATE, "skipped", 0, Optional.of(KEPT_FOR_RETRY));
    }
    return new StepResult(REMOVE_PRIVATE_STATE, "scheduled", 0, Optional.of(
        "runs after the seal: removes the session's keys, journal and runtime directory; its result is in "
            + record.teardownReport().getFileName()));
  }

  private static final String KEPT_FOR_RETRY = "kept for retry: an earlier teardown step failed";

  /**
   * Seals the continued chain into the bundle's addendum for this attempt: records what
   * remove-private-state will do and {@code teardown.completed}, seals with the session's key into
   * {@code seal-<attempt>.json}, and writes the addendum next to the bundle.
   */
  private StepResult sealAddendum(int attempt) {
    try {
      EvidenceLog log = live.evidence;
      if (log == null) {
        throw new IOException("the evidence log " + layout.events() + " could not be reopened");
      }
      boolean ok = results.stream().noneMatch(StepResult::failed);
      StepResult planned = plannedRemoval();
      List<StepResult> soFar = new ArrayList<>(results);
      soFar.add(StepResult.ok(SEAL_ADDENDUM, 1));
      soFar.add(planned);
      recordInEvidence(planned);
      Map<String, Object> completed = new LinkedHashMap<>();
      completed.put("attempt", attempt);
      completed.put("teardown_ok", ok);
      log.append("teardown.completed", completed);
      live.closedRecorded = true;
      int before = results.size();
      SealingKey key = keyFor(log);
      soFar.addAll(soFar.size() - 2, results.subList(before, results.size()));
      log.close();
      long baseCount = JSON.readTree(layout.stateDir().resolve("seal.json").toFile()).path("count").asLong();
      TeardownReport report = new TeardownReport(record.sessionId(), soFar);
      String teardownJson = (previous == null ? report : report.after(previous)).toJson();
      BundleWriter.Content content = BundleWriter.renderAddendum(layout.events(), baseCount, teardownJson, record.bundle());
      Path seal = layout.stateDir().resolve("seal-" + attempt + ".json");
      Sealer.seal(log, key, seal, content.members());
      EvidenceFiles.createRecordedDirectory(record.outDir()); // no symbolic link planted since
      sealed = BundleWriter.write(content, seal, Addenda.path(record.bundle(), attempt));
      live.evidence = null;
      live.sealingKey = null; // never used after the seal
      return StepResult.ok(SEAL_ADDENDUM, 1);
    } catch (IOException | RuntimeException e) {
      return StepResult.failed(SEAL_ADDENDUM, 1, describe(e));
    }
  }

  private StepResult runOne(TeardownJournal.Entry entry) {
    if (entry.step().equals(REMOVE_PRIVATE_STATE) && results.stream().anyMatch(StepResult::failed)) {
      // Keep the journal and keys so that `taskbound teardown --session` can retry what failed.
      return new StepResult(entry.step(), "skipped", 0, Optional.of(KEPT_FOR_RETRY));
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
        // What survives the private state: a record that the teardown is complete, so that a second
        // `taskbound teardown --session` (an always-run post step) can say so and exit 0.
        Completion.write(layout, record, clock.instant(), live.endReason);
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
      ContainerSandbox containers =
          new ContainerSandbox(ContainerConfig.builder("scratch").endpoint(entry.handle().get("endpoint").asText()).build());
      containers.removeLabelled(label[0], label[1]);
      containers.removeLeftovers(); // and what other dead sessions on this daemon left
    }
    // A process started after the journal entry but before its pid was recorded still names the
    // session's runtime directory on its command line.
    ProcessTree.killWithArgument(record.runtimeDir().toString());
    // a netns launch killed with its Taskbound (SIGKILL) left its empty cgroup behind
    dev.taskbound.core.sandbox.LeftoverCgroups.remove();
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
    Path kept = UnpublishedBundle.in(layout);
    StepResult planned = null;
    if (!live.closedRecorded) {
      if (removalPending) {
        planned = plannedRemoval();
        recordInEvidence(planned);
      }
      Map<String, Object> closed = new LinkedHashMap<>();
      closed.put("exit_code", live.exitCode.isPresent() ? live.exitCode.getAsInt() : null);
      closed.put("reason", live.endReason);
      closed.put("teardown_ok", results.stream().noneMatch(StepResult::failed));
      log.append("session.closed", closed);
      live.closedRecorded = true;
    }
    SealingKey key = keyFor(log);
    // Idempotent: a retry after a failed bundle write seals the same closed log again.
    log.close();
    List<StepResult> soFar = new ArrayList<>(results);
    soFar.add(StepResult.ok(SEAL_EVIDENCE, 1));
    if (planned != null) {
      soFar.add(planned);
    }
    String teardownJson = new TeardownReport(record.sessionId(), soFar).toJson();
    BundleWriter.Content content = BundleWriter.render(new BundleInputs(
        layout.events(),
        // open may have failed before the identity's keys were published: the sealing key still verifies
        readOr(layout.jwks(), key.publicJwkSetJson()),
        readOr(layout.effectivePolicy(), "{}"),
        readOr(layout.identityClaims(), "{}"),
        teardownJson));
    Path seal = layout.stateDir().resolve("seal.json");
    Sealer.seal(log, key, seal, content.members());
    try {
      EvidenceFiles.createRecordedDirectory(record.outDir()); // no symbolic link the agent planted
      BundleWriter.write(content, seal, record.bundle());
    } catch (IOException | RuntimeException e) {
      // The key goes with this process: the sealed bundle stays in the private state for the next attempt to publish.
      try {
        // by the state directory's real path: it is private, and writing checks for links on the way
        BundleWriter.write(content, seal, layout.stateDir().toRealPath().resolve(kept.getFileName()));
      } catch (IOException | RuntimeException keep) {
        e.addSuppressed(keep); // the failure to report stays the publication's
      }
      throw e;
    }
    sealed = record.bundle();
    live.evidence = null;
    live.sealingKey = null; // never used after the seal
  }

  /**
   * Before anything is appended to the log: where an earlier attempt sealed it with the session's
   * own key and could not publish the bundle (a link the agent put in place of the evidence
   * directory), and the log is still what that seal covers, publishes that bundle and completes the
   * seal step. Sealing again would take a recovery key, and the host's record of the session's key
   * ({@code verify --expect-kid}) would no longer verify the bundle; a step still pending (a failed
   * revocation) is then sealed into an addendum, as after any seal. If publishing fails, the seal step
   * stays pending and runs as before.
   */
  private void publishKeptBundle(TeardownJournal journal) {
    Path kept = UnpublishedBundle.in(layout);
    Optional<TeardownJournal.Entry> seal = journal.pending().stream().filter(e -> e.step().equals(SEAL_EVIDENCE)).findFirst();
    try {
      if (seal.isEmpty() || live.sealingKey != null || live.evidence != null || !UnpublishedBundle.sealsTheLogAsItIs(kept, layout.events())) {
        return;
      }
      EvidenceFiles.createRecordedDirectory(record.outDir());
      EvidenceFiles.publishCopy(record.bundle(), kept);
    } catch (IOException | RuntimeException e) {
      return; // the seal step runs below and reports its own failure
    }
    sealed = record.bundle();
    StepResult published = new StepResult(SEAL_EVIDENCE, "ok", 1, Optional.of(
        "published the bundle an earlier attempt sealed with the session's key and could not write"));
    journal.complete(seal.get().id(), published.outcome(), published.attempts(), null);
    results.add(published);
  }

  /** Not journalled: a recovery that could not use the session's key seals with a new one. */
  static final String REKEY_EVIDENCE = "rekey-evidence";

  /**
   * The key that seals {@code log}: the session's own while its process holds it; otherwise (the
   * process died, or sealed and forgot it before this retry) a new key, announced in the chain by
   * {@code evidence.rekeyed} with the lost key's kid and the chain head it continues, and reported
   * as a {@code rekey-evidence} step. Called while the log is still open.
   */
  private SealingKey keyFor(EvidenceLog log) {
    if (live.sealingKey != null) {
      return live.sealingKey;
    }
    SealingKey fresh = SealingKey.generate();
    String head = log.lastHash();
    String lost = lostKid();
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("reason", "the session's evidence key lived only in the memory of its process, which is gone;"
        + " this recovery seals with a new key");
    if (lost != null) { // none when the process died before session.opened recorded its key
      data.put("previous_kid", lost);
    }
    data.put("kid", fresh.keyId());
    data.put("jwk", fresh.publicJwk());
    data.put("chain_head", head);
    Optional<com.fasterxml.jackson.databind.node.ObjectNode> statement = live.recoveryCertifier.certify(fresh, head, lost);
    statement.ifPresent(st -> data.put("signer_statement", st));
    log.append("evidence.rekeyed", data);
    live.sealingKey = fresh;
    results.add(new StepResult(REKEY_EVIDENCE, "ok", 1, Optional.of("sealed with a new key " + fresh.keyId()
        + (lost == null ? ": the session's process died before it recorded a key" : ": the session's key " + lost
            + " was lost with its process") + "; the new seal continues its chain head " + head
        + statement.map(st -> "; the new key is certified by the org signer " + st.path("signer").asText()).orElse(""))));
    return fresh;
  }

  /** The session's own evidence key, as session.opened recorded it. */
  private String lostKid() {
    for (var e : EvidenceLog.read(layout.events())) {
      if (e.type().equals("session.opened")) {
        return e.text("sealing_kid");
      }
    }
    return null;
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
