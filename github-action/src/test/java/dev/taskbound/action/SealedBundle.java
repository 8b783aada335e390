package dev.taskbound.action;

import dev.taskbound.core.evidence.BundleInputs;
import dev.taskbound.core.evidence.BundleWriter;
import dev.taskbound.core.evidence.EvidenceLog;
import dev.taskbound.core.evidence.Sealer;
import dev.taskbound.core.evidence.SealingKey;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A genuine evidence bundle for the action's tests, written the way the core's teardown writes one
 * (the chained events, members rendered from them, sealed by a fresh key, zipped), with the kid the
 * core would print at open.
 *
 * @param zip the bundle
 * @param kid its sealing key's kid
 */
record SealedBundle(Path zip, String kid) {
  /** One event of the log: its type and data. */
  record Event(String type, Map<String, Object> data) {}

  /** Writes {@code zip} for session {@code session} of task FIX-7 holding {@code events} after {@code session.opened}. */
  static SealedBundle write(Path zip, String session, List<Event> events) {
    try {
      Path work = Files.createTempDirectory(zip.toAbsolutePath().getParent(), "sealing-");
      Path eventsFile = work.resolve("events.jsonl");
      SealingKey key = SealingKey.generate();
      String spiffeId = "spiffe://taskbound.local/task/FIX-7/" + session;
      try (EvidenceLog log = EvidenceLog.create(eventsFile, session, Clock.systemUTC())) {
        Map<String, Object> opened = new LinkedHashMap<>();
        opened.put("task", "FIX-7");
        opened.put("session", session);
        opened.put("spiffe_id", spiffeId);
        log.append("session.opened", opened);
        for (Event e : events) {
          log.append(e.type(), e.data());
        }
        BundleWriter.Content content = BundleWriter.render(new BundleInputs(eventsFile, key.publicJwkSetJson(), "{}",
            "{\"sub\":\"" + spiffeId + "\",\"task\":\"FIX-7\"}", null));
        Path seal = work.resolve("seal.json");
        Sealer.seal(log, key, seal, content.members());
        BundleWriter.write(content, seal, zip);
      }
      return new SealedBundle(zip, key.keyId());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
