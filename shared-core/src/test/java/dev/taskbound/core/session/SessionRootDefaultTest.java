package dev.taskbound.core.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.taskbound.core.ExitCodes;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Issue 10 item 8: a uid without a passwd entry ({@code user.home} is {@code ?}) never gets a session root under the working directory. */
class SessionRootDefaultTest {
  @Test
  void theUsersHomeIsTheDefault() {
    assertThat(SessionLayout.defaultSessionRoot(Map.of("HOME", "/other"), "/home/ci"))
        .isEqualTo(Path.of("/home/ci/.taskbound/sessions"));
  }

  @Test
  void aUidWithoutAPasswdEntryFallsBackToHomeThenXdgStateHome() {
    assertThat(SessionLayout.defaultSessionRoot(Map.of("HOME", "/github/home"), "?"))
        .isEqualTo(Path.of("/github/home/.taskbound/sessions"));
    assertThat(SessionLayout.defaultSessionRoot(Map.of("XDG_STATE_HOME", "/var/lib/ci/state"), "?"))
        .isEqualTo(Path.of("/var/lib/ci/state/taskbound/sessions"));
  }

  @Test
  void withoutAnyAbsoluteHomeTheSessionRootIsRefusedNeverRelative() {
    SessionException e = catchThrowableOfType(SessionException.class,
        () -> SessionLayout.defaultSessionRoot(Map.of("HOME", "relative/home", "XDG_STATE_HOME", ""), "?"));

    assertThat(e.exitCode()).isEqualTo(ExitCodes.SANDBOX);
    assertThat(e).hasMessage("cannot choose a session root: this user has no home directory (user.home is '?',"
        + " as for a uid without a passwd entry) and neither HOME nor XDG_STATE_HOME is an absolute path;"
        + " accepted: --session-root DIR, TASKBOUND_SESSION_ROOT or TASKBOUND_HOME");
  }

  @Test
  void aSpecWithoutASessionRootTakesTheDefaultFromTheHostEnvironment() {
    String saved = System.getProperty("user.home");
    System.setProperty("user.home", "?");
    try {
      SessionSpec spec = SessionSpec.builder(dev.taskbound.core.identity.TaskId.parse("T-1"), java.util.List.of("true"))
          .hostEnvironment(Map.of("HOME", "/github/home")).build();

      assertThat(spec.sessionRoot()).isEqualTo(Path.of("/github/home/.taskbound/sessions"));
    } finally {
      System.setProperty("user.home", saved);
    }
  }
}
