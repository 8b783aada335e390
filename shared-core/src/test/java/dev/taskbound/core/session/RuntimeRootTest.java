package dev.taskbound.core.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.taskbound.core.ExitCodes;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where sessions make their runtime directories: nowhere another user may rename them (review finding). */
class RuntimeRootTest {
  @TempDir Path tmp;

  @Test
  void aDirectoryOfYoursOrRootsWritableByNoOneElseOrStickyIsAccepted() throws Exception {
    long uid = OwnerSocket.effectiveUid();
    Path own = Files.createDirectory(tmp.resolve("own"));
    Files.setAttribute(own, "unix:mode", 0700);
    Path sticky = Files.createDirectory(tmp.resolve("sticky"));
    Files.setAttribute(sticky, "unix:mode", 01777);

    assertThatCode(() -> RuntimeRoot.check(own, uid, tmp)).doesNotThrowAnyException();
    assertThatCode(() -> RuntimeRoot.check(sticky, uid, tmp)).doesNotThrowAnyException();
    assertThatCode(() -> RuntimeRoot.check(Path.of("/tmp"), uid, tmp)).as("the default").doesNotThrowAnyException();
  }

  @Test
  void aDirectoryOthersMayWriteWithoutTheStickyBitIsRefused() throws Exception {
    Path shared = Files.createDirectory(tmp.resolve("shared"));
    Files.setAttribute(shared, "unix:mode", 0777);

    assertThatThrownBy(() -> RuntimeRoot.check(shared, OwnerSocket.effectiveUid(), tmp))
        .isInstanceOfSatisfying(SessionException.class, e -> assertThat(e.exitCode()).isEqualTo(ExitCodes.SANDBOX))
        .hasMessage("the runtime directory " + shared + " (owner uid " + OwnerSocket.effectiveUid() + ", mode 0777) lets"
            + " another user rename what is in it: they could put their own in place of a session's directory and its"
            + " gateway socket; accepted: a directory owned by you, root or the working directory's owner, writable by"
            + " no one else unless sticky (as /tmp); set TASKBOUND_RUNTIME_DIR");
  }

  @Test
  void anotherUsersDirectoryIsRefusedUnlessTheyOwnTheWorkingDirectory() throws Exception {
    assumeThat(OwnerSocket.effectiveUid()).as("root, to give directories away").isZero();
    Path theirs = Files.createDirectory(tmp.resolve("theirs"));
    Files.setAttribute(theirs, "unix:mode", 0755);
    Files.setAttribute(theirs, "unix:uid", 65534);
    Path work = Files.createDirectory(tmp.resolve("work"));

    assertThatThrownBy(() -> RuntimeRoot.check(theirs, 1001, work)).hasMessageContaining("(owner uid 65534, mode 0755)");
    Files.setAttribute(work, "unix:uid", 65534); // the agent's user, whom Taskbound run as root runs the agent as
    assertThatCode(() -> RuntimeRoot.check(theirs, 1001, work)).doesNotThrowAnyException();
  }
}
