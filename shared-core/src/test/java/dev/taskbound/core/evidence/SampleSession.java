package dev.taskbound.core.evidence;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Writes the evidence of a typical session (17 events) into a directory, sealed. */
final class SampleSession {
  static final String SESSION = "01jq8m3v0p4k2r7s9t1w";
  static final Clock SEALED_AT = Clock.fixed(Instant.parse("2026-11-27T10:00:10Z"), ZoneOffset.UTC);
  static final String TASK = "JIRA-42";
  static final String SPIFFE_ID = "spiffe://ci.example.org/task/JIRA-42/" + SESSION;
  static final String DENIED_HOST = "evil.example.com";
  static final String RULE_TO_ADD = "evil.example.com:443";
  static final String TEARDOWN_JSON =
      "{\"ok\":false,\"steps\":["
          + "{\"step\":\"kill-agent\",\"outcome\":\"ok\",\"attempts\":1},"
          + "{\"step\":\"revoke-github-token\",\"outcome\":\"failed\",\"attempts\":3,\"error\":\"HTTP 500 from DELETE /installation/token\"},"
          + "{\"step\":\"stop-gateway\",\"outcome\":\"ok\",\"attempts\":1},"
          + "{\"step\":\"remove-namespace\",\"outcome\":\"skipped\",\"attempts\":0,\"detail\":\"backend proxy\"}]}";

  final Path dir;
  final Path events;
  final Path seal;
  final SealingKey key;
  final long count;

  private SampleSession(Path dir, Path events, Path seal, SealingKey key, long count) {
    this.dir = dir;
    this.events = events;
    this.seal = seal;
    this.key = key;
    this.count = count;
  }

  /** A clock that advances 250 ms per reading, so timestamps differ and durations are stable. */
  static Clock steppingClock(Instant start) {
    return new Clock() {
      private long ticks;

      @Override
      public ZoneId getZone() {
        return ZoneOffset.UTC;
      }

      @Override
      public Clock withZone(ZoneId zone) {
        return this;
      }

      @Override
      public synchronized Instant instant() {
        return start.plus(Duration.ofMillis(250 * ticks++));
      }
    };
  }

  static List<Map<String, Object>> script() {
    List<Map<String, Object>> out = new ArrayList<>();
    out.add(event("session.opened", "task", TASK, "session", SESSION, "spiffe_id", SPIFFE_ID, "profile", "default",
        "policy_digest", "sha256:0123456789ab", "backend", "netns", "enforcement", "strict", "ttl_seconds", 3600));
    out.add(event("identity.minted", "spiffe_id", SPIFFE_ID, "kid", "kid-identity-1", "audience", "vault.example.org",
        "expires_at", "2026-11-27T11:00:00Z", "fingerprint", "sha256:a1b2c3d4e5f6"));
    out.add(event("gateway.started", "socket", "/run/taskbound/" + SESSION + "/gateway.sock"));
    out.add(event("sandbox.prepared", "backend", "netns", "port", 18080));
    out.add(event("agent.started", "command", List.of("npm", "test"), "pid", 4242));
    for (int i = 0; i < 3; i++) {
      out.add(event("egress.allowed", "host", "registry.npmjs.org", "port", 443, "method", "CONNECT",
          "rule", "**.npmjs.org", "reason", "allowed by rule", "address", "104.16.0.35"));
    }
    out.add(event("egress.denied", "host", DENIED_HOST, "port", 443, "method", "CONNECT", "rule", "",
        "reason", "no rule allows it", "rule_to_add", RULE_TO_ADD, "address", "203.0.113.9"));
    out.add(event("egress.denied", "host", DENIED_HOST, "port", 443, "method", "CONNECT", "rule", "",
        "reason", "no rule allows it", "rule_to_add", RULE_TO_ADD, "address", "203.0.113.9"));
    out.add(event("vendor.custom_thing", "note", "an event type no renderer knows"));
    out.add(event("agent.exited", "exit_code", 0, "duration_ms", 1500));
    out.add(event("teardown.step", "step", "kill-agent", "outcome", "ok", "attempts", 1));
    out.add(event("teardown.step", "step", "revoke-github-token", "outcome", "failed", "attempts", 3,
        "error", "HTTP 500 from DELETE /installation/token"));
    out.add(event("teardown.step", "step", "stop-gateway", "outcome", "ok", "attempts", 1));
    out.add(event("teardown.step", "step", "remove-namespace", "outcome", "skipped", "attempts", 0, "detail", "backend proxy"));
    out.add(event("session.closed", "exit_code", 123, "teardown_ok", false));
    return out;
  }

  static Map<String, Object> event(String type, Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("$type", type);
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  /** Appends the scripted events; {@code edit} may change them on the way (for re-chaining attacks). */
  static long writeEvents(EvidenceLog log, List<Map<String, Object>> script) {
    for (Map<String, Object> e : script) {
      Map<String, Object> data = new LinkedHashMap<>(e);
      String type = (String) data.remove("$type");
      if (EventType.fromWireName(type).isPresent()) {
        log.append(type, data);
      } else {
        log.appendOfUndefinedTypeForTests(type, data); // readers must accept what newer versions write
      }
    }
    return log.count();
  }

  /** Writes events.jsonl, seal.json and jwks.json (a directory bundle) into {@code dir}. */
  static SampleSession write(Path dir) {
    return write(dir, script(), SealingKey.generate());
  }

  static SampleSession write(Path dir, List<Map<String, Object>> script, SealingKey key) {
    try {
      Files.createDirectories(dir);
      Path events = dir.resolve("events.jsonl");
      Path seal = dir.resolve("seal.json");
      long count;
      try (EvidenceLog log = EvidenceLog.create(events, SESSION, steppingClock(Instant.parse("2026-11-27T10:00:00Z")))) {
        count = writeEvents(log, script);
        byte[] jwks = key.publicJwkSetJson().getBytes(StandardCharsets.UTF_8);
        Files.write(dir.resolve("jwks.json"), jwks);
        Sealer.seal(log, key, seal, SEALED_AT, Map.of(Bundle.JWKS, jwks));
      }
      return new SampleSession(dir, events, seal, key, count);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** A bundle directory written by other means, sealed by {@code key}. */
  static SampleSession at(Path dir, SealingKey key) {
    return new SampleSession(dir, dir.resolve("events.jsonl"), dir.resolve("seal.json"), key, -1);
  }

  List<String> lines() throws IOException {
    return new ArrayList<>(Files.readAllLines(events, StandardCharsets.UTF_8));
  }

  void writeLines(List<String> lines) throws IOException {
    Files.writeString(events, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
  }

  /**
   * This session's events as a zip bundle with every member, sealed over them by its key (the
   * directory's seal covers only its key set), as the teardown writes one.
   */
  Path zip(Path zipFile) {
    BundleWriter.Content content = BundleWriter.render(new BundleInputs(
        events, key.publicJwkSetJson(), "{\"apiVersion\":\"taskbound.dev/v1\"}", "{\"sub\":\"" + SPIFFE_ID + "\"}", TEARDOWN_JSON));
    try (EvidenceLog log = EvidenceLog.resume(events, SESSION, SEALED_AT)) {
      Path zipSeal = Files.createTempFile(zipFile.toAbsolutePath().getParent(), "zip-seal.", ".json");
      try {
        Sealer.seal(log, key, zipSeal, SEALED_AT, content.members());
        return BundleWriter.write(content, zipSeal, zipFile);
      } finally {
        Files.deleteIfExists(zipSeal);
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** The text of member {@code name} of the zip {@code zip}. */
  static String entry(Path zip, String name) throws IOException {
    try (java.util.zip.ZipFile z = new java.util.zip.ZipFile(zip.toFile())) {
      java.util.zip.ZipEntry e = z.getEntry(name);
      return e == null ? null : new String(z.getInputStream(e).readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
