package dev.taskbound.core.evidence;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the Markdown summary and the HTML report show, read once from the events and teardown.json
 * so that both renderers agree. Tolerant: missing events leave fields null, unknown event types
 * only appear in the timeline.
 */
final class SessionReport {
  /** Egress decisions for one host. */
  static final class HostStats {
    final String host;
    final Set<Integer> ports = new TreeSet<>();
    long allowed;
    long denied;
    final Set<String> rulesToAdd = new LinkedHashSet<>();
    final Set<String> reasons = new LinkedHashSet<>();
    /** What to do about denials no added rule would lift (address refusals, refused requests). */
    final Set<String> hints = new LinkedHashSet<>();

    HostStats(String host) {
      this.host = host;
    }
  }

  /** One teardown step and its result. */
  record Step(String name, String outcome, String attempts, String error, String detail) {
    boolean failed() {
      return !"ok".equals(outcome) && !"skipped".equals(outcome) && !"scheduled".equals(outcome);
    }
  }

  /** One command of a multi-command session ({@code session exec}), from its events. */
  static final class Exec {
    final int number;
    String command;
    String exitCode;
    String stoppedBy;

    Exec(int number) {
      this.number = number;
    }
  }

  final List<EvidenceEvent> events;
  /** The commands of a multi-command session by number; empty for a one-command run. */
  final Map<Integer, Exec> execs = new java.util.TreeMap<>();
  /** The number of the session's first command that did not exit 0, if any; the outcome names it. */
  Integer failedExec;
  String task;
  String session;
  String spiffeId;
  String profile;
  String policyDigest;
  String backend;
  String enforcement;

  /** The plain statement a cooperative run must carry: nothing in the kernel held its egress. */
  static final String COOPERATIVE_WARNING =
      "Egress was NOT enforced: this run used cooperative enforcement (proxy variables only), so a tool"
          + " that ignores them could reach any host. Use enforcement: strict for a kernel-enforced sandbox.";

  boolean cooperative() {
    return "cooperative".equals(enforcement);
  }

  /** The sandbox protections the run went without ({@code sandbox.started}'s {@code protections_off}). */
  final List<String> protectionsOff = new ArrayList<>();

  /** The statement a reduced run carries, naming what was off; null for a full confinement. */
  String reducedWarning() {
    return protectionsOff.isEmpty() ? null
        : "Confinement was REDUCED (sandbox.confinement: reduced, allowed by the Ceiling): the agent ran without "
            + String.join(", ", protectionsOff) + ". See sandbox.started in the evidence.";
  }
  String keyId;
  String audience;
  String identityExpiresAt;
  String tokenFingerprint;
  String exitCode;
  Boolean teardownOk;
  boolean closed;
  boolean ttlExpired;
  String signal;
  Instant start;
  Instant end;
  final Map<String, HostStats> egress = new LinkedHashMap<>();
  final List<Step> steps = new ArrayList<>();
  /**
   * Every teardown attempt's steps as the events record them, oldest first: the first teardown, then
   * one per retry ({@code teardown.resumed}) after the bundle was sealed.
   */
  final List<List<Step>> attempts = new ArrayList<>();

  private SessionReport(List<EvidenceEvent> events) {
    this.events = List.copyOf(events);
  }

  static SessionReport of(List<EvidenceEvent> events, String teardownJson) {
    SessionReport r = new SessionReport(events);
    List<Step> eventSteps = new ArrayList<>();
    r.attempts.add(eventSteps);
    for (EvidenceEvent e : events) {
      if (r.start == null) {
        r.start = e.ts();
      }
      r.end = e.ts();
      if (r.session == null) {
        r.session = e.session();
      }
      switch (e.type()) {
        case "session.opened" -> {
          r.task = e.text("task");
          r.spiffeId = first(e.text("spiffe_id"), r.spiffeId);
          r.profile = e.text("profile");
          r.policyDigest = e.text("policy_digest");
          r.backend = e.text("backend");
          r.enforcement = e.text("enforcement");
          r.start = e.ts();
        }
        case "identity.minted" -> {
          r.spiffeId = first(e.text("spiffe_id"), r.spiffeId);
          r.keyId = e.text("kid");
          r.audience = e.text("audience");
          r.identityExpiresAt = e.text("expires_at");
          r.tokenFingerprint = e.text("fingerprint");
        }
        case "egress.allowed", "egress.denied" -> r.egress(e);
        case "egress.denied.address", "egress.denied.sni_mismatch", "egress.denied.host_mismatch",
            "egress.denied.smuggling", "egress.denied.malformed" -> {
          if (e.text("host") != null) {
            r.egress(e); // a refusal after the rules allowed the destination: a denial too
          }
        }
        case "sandbox.started" -> {
          JsonNode off = e.data().get("protections_off");
          if (off != null && off.isArray()) {
            off.forEach(n -> r.protectionsOff.add(n.asText()));
          }
        }
        case "agent.started" -> {
          Exec x = r.exec(e);
          JsonNode command = e.data().get("command");
          if (x != null && command != null && command.isArray()) {
            List<String> words = new ArrayList<>();
            command.forEach(w -> words.add(w.asText()));
            x.command = String.join(" ", words);
          }
        }
        case "agent.exited" -> {
          Exec x = r.exec(e);
          if (x == null) {
            r.exitCode = first(r.exitCode, e.text("exit_code"));
          } else {
            x.exitCode = e.text("exit_code");
            x.stoppedBy = e.text("stopped_by");
          }
        }
        case "session.ttl_expired" -> r.ttlExpired = true;
        case "session.signal" -> r.signal = e.text("signal");
        case "teardown.step" -> r.attempts.get(r.attempts.size() - 1).add(step(e.data()));
        case "teardown.resumed" -> r.attempts.add(new ArrayList<>());
        case "teardown.completed" -> {
          JsonNode ok = e.data().get("teardown_ok");
          r.teardownOk = ok != null && ok.isBoolean() ? ok.asBoolean() : null;
          r.end = e.ts();
        }
        case "session.closed" -> {
          r.closed = true;
          r.exitCode = first(e.text("exit_code"), r.exitCode);
          JsonNode ok = e.data().get("teardown_ok");
          r.teardownOk = ok != null && ok.isBoolean() ? ok.asBoolean() : null;
          r.end = e.ts();
        }
        default -> {
          // unknown types are shown in the timeline only
        }
      }
    }
    r.sessionExitCode();
    List<Step> fromFile = steps(teardownJson);
    r.steps.addAll(fromFile != null ? fromFile : r.attempts.get(r.attempts.size() - 1));
    return r;
  }

  /** The command an {@code agent.*} event of a multi-command session is about, or null for a one-command run. */
  private Exec exec(EvidenceEvent e) {
    JsonNode n = e.data().get("exec");
    return n != null && n.canConvertToInt() ? execs.computeIfAbsent(n.asInt(), Exec::new) : null;
  }

  /**
   * A multi-command session's exit code, unless {@code session.closed} gave one (the TTL, a
   * failure): the first command that did not exit 0, else 0. The first rather than the last,
   * because a block with a failed command failed, whatever ran after it (a CI host that catches the
   * error goes on); the Commands table lists each one.
   */
  private void sessionExitCode() {
    if (exitCode != null || execs.isEmpty()) {
      return;
    }
    for (Exec x : execs.values()) {
      if (!"0".equals(x.exitCode) || x.stoppedBy != null) {
        failedExec = x.number;
        exitCode = first(x.exitCode, "unknown");
        return;
      }
    }
    exitCode = "0";
  }

  private void egress(EvidenceEvent e) {
    String host = first(e.text("host"), "(unknown host)");
    HostStats s = egress.computeIfAbsent(host, HostStats::new);
    JsonNode port = e.data().get("port");
    if (port != null && port.canConvertToInt()) {
      s.ports.add(port.asInt());
    }
    if (isDenial(e.type())) {
      s.denied++;
      if (e.text("rule_to_add") != null) {
        s.rulesToAdd.add(e.text("rule_to_add"));
      }
      String reason = first(e.text("reason"), e.text("detail"));
      if (reason != null) {
        s.reasons.add(reason);
      }
      if (e.text("hint") != null) {
        s.hints.add(e.text("hint"));
      }
    } else {
      s.allowed++;
    }
  }

  /** {@code egress.denied} and its refinements ({@code egress.denied.address}, ...). */
  static boolean isDenial(String type) {
    return type.equals("egress.denied") || type.startsWith("egress.denied.") || type.equals("approval.denied")
        || type.equals("approval.expired");
  }

  /** Hosts with denials first, then by name. */
  List<HostStats> hosts() {
    List<HostStats> list = new ArrayList<>(egress.values());
    list.sort(Comparator.comparing((HostStats h) -> h.denied == 0).thenComparing(h -> h.host));
    return list;
  }

  /**
   * The most hosts the summary and report list. The agent decides how many hosts it tries: a review's
   * agent made 100,000 distinct ones, and a 100 MB summary helps no reader (every decision stays in
   * the events).
   */
  static final int HOSTS_LISTED = 200;

  /** The first {@link #HOSTS_LISTED} of {@link #hosts()}, and a sentence on the rest (null when none is left out). */
  record Listed(List<HostStats> hosts, String unlisted) {}

  Listed listedHosts() {
    List<HostStats> all = hosts();
    if (all.size() <= HOSTS_LISTED) {
      return new Listed(all, null);
    }
    List<HostStats> rest = all.subList(HOSTS_LISTED, all.size());
    long denied = rest.stream().filter(h -> h.denied > 0).count();
    return new Listed(all.subList(0, HOSTS_LISTED), rest.size() + " more hosts (" + denied + " with denials) are not"
        + " listed here; every egress decision is in events.jsonl");
  }

  /** A one-line outcome: succeeded, failed (exit N), TTL expired, teardown failed, incomplete. */
  String outcome() {
    if (!closed) {
      return "incomplete (no session.closed event)";
    }
    String base;
    if (ttlExpired) {
      base = "TTL expired";
    } else if ("0".equals(exitCode)) {
      base = "succeeded";
    } else if (failedExec != null) {
      base = "failed (command " + failedExec + " of " + execs.size() + " exited " + exitCode + ")";
    } else {
      base = "failed (exit " + first(exitCode, "unknown") + ")";
    }
    return teardownFailed() ? base + "; teardown failed" : base;
  }

  /** The attempts before the last, when the teardown was retried after the seal; else empty. */
  List<List<Step>> earlierAttempts() {
    return attempts.size() < 2 ? List.of() : attempts.subList(0, attempts.size() - 1);
  }

  boolean teardownFailed() {
    return Boolean.FALSE.equals(teardownOk) || steps.stream().anyMatch(Step::failed);
  }

  String duration() {
    if (start == null || end == null) {
      return "unknown";
    }
    Duration d = Duration.between(start, end);
    long s = d.toSeconds();
    if (s < 60) {
      return String.format(java.util.Locale.ROOT, "%d.%03ds", s, d.toMillisPart());
    }
    if (s < 3600) {
      return String.format(java.util.Locale.ROOT, "%dm %02ds", s / 60, s % 60);
    }
    return String.format(java.util.Locale.ROOT, "%dh %02dm %02ds", s / 3600, (s % 3600) / 60, s % 60);
  }

  /** The data of an event as compact JSON for the timeline. */
  static String details(EvidenceEvent e) {
    return CanonicalJson.string(e.data());
  }

  /** Steps from teardown.json, or null when it is absent or not understood. */
  private static List<Step> steps(String teardownJson) {
    if (teardownJson == null || teardownJson.isBlank()) {
      return null;
    }
    JsonNode root;
    try {
      root = CanonicalJson.MAPPER.readTree(teardownJson);
    } catch (JsonProcessingException e) {
      return null;
    }
    JsonNode array = root != null && root.isArray() ? root : root == null ? null : root.get("steps");
    if (array == null || !array.isArray()) {
      return null;
    }
    List<Step> out = new ArrayList<>();
    array.forEach(n -> out.add(step(n)));
    return out;
  }

  private static Step step(JsonNode n) {
    String outcome = text(n, "outcome");
    if (outcome == null) {
      outcome = text(n, "status");
    }
    if (outcome == null && n.has("ok")) {
      outcome = n.get("ok").asBoolean() ? "ok" : "failed";
    }
    return new Step(
        first(text(n, "step"), first(text(n, "name"), "(unnamed)")),
        first(outcome, "unknown"),
        text(n, "attempts"),
        text(n, "error"),
        text(n, "detail"));
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n == null ? null : n.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    return v.isValueNode() ? v.asText() : CanonicalJson.string(v);
  }

  private static String first(String a, String b) {
    return a != null ? a : b;
  }
}
