package dev.taskbound.core.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskbound.core.ExitCodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How {@code session exec/end} read a handle before they talk to any supervisor. */
class SessionClientHandleTest {
  @TempDir Path root;

  @Test
  void refusesAPathThatIsNotASessionHandleWithUsage() {
    assertThatThrownBy(() -> SessionClient.of(root.resolve("nothing-here")))
        .isInstanceOf(SessionException.class)
        .hasMessageContaining("is not a session handle")
        .hasMessageContaining("accepted: the path 'taskbound session start' printed")
        .satisfies(e -> assertThat(((SessionException) e).exitCode()).isEqualTo(ExitCodes.USAGE));
  }

  @Test
  void anEndedSessionRefusesCommandsSayingWhenAndWhereItsEvidenceWent() throws Exception {
    Path state = ended("01ended", "session end requested");

    assertThatThrownBy(() -> SessionClient.of(state))
        .hasMessageContaining("session 01ended has ended (session end requested)")
        .hasMessageContaining("start a new one")
        .satisfies(e -> assertThat(((SessionException) e).exitCode()).isEqualTo(ExitCodes.SANDBOX));
    assertThat(SessionClient.finished(state)).hasValueSatisfying(f -> assertThat(f.ttlExpired()).isFalse());
  }

  @Test
  void aSessionTheTtlEndedAnswers124() throws Exception {
    Path state = ended("01expired", "ttl expired");

    assertThatThrownBy(() -> SessionClient.of(state))
        .hasMessageContaining("(ttl expired)")
        .satisfies(e -> assertThat(((SessionException) e).exitCode()).isEqualTo(ExitCodes.TTL_EXPIRED));
    assertThat(SessionClient.finished(state)).hasValueSatisfying(f -> assertThat(f.ttlExpired()).isTrue());
  }

  @Test
  void anOpenSessionWhoseSupervisorIsGoneSaysHowToEndIt() throws Exception {
    Path state = Files.createDirectories(root.resolve("01open"));
    new SessionRecord("01open", "T-1", root.resolve("out"), root.resolve("rt/tb-01open")).write(state.resolve("session.json"));

    assertThatThrownBy(() -> SessionClient.of(state).exec(java.util.List.of("true"), root, java.util.Map.of(), false,
            java.util.List.of(), java.util.List.of(), java.io.OutputStream.nullOutputStream(), java.io.OutputStream.nullOutputStream()))
        .hasMessageContaining("the supervisor of session 01open is not running")
        .hasMessageContaining("taskbound session end --session " + state)
        .satisfies(e -> assertThat(((SessionException) e).exitCode()).isEqualTo(ExitCodes.SANDBOX));
    assertThat(SessionClient.of(state).end()).isEmpty();
  }

  private Path ended(String id, String reason) throws Exception {
    Path state = root.resolve(id);
    SessionLayout layout = SessionLayout.ofStateDir(state, root.resolve("rt/tb-" + id));
    Completion.write(layout, new SessionRecord(id, "T-1", root.resolve("out"), layout.runtimeDir()),
        Instant.parse("2026-12-06T03:00:00Z"), reason);
    return state;
  }
}
