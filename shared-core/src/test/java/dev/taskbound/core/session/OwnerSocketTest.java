package dev.taskbound.core.session;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Who may use a session's control and approval sockets: its own user, by name or uid, and root. */
class OwnerSocketTest {
  @Test
  void theOwnUserByNameOrUidAndRootAreTrusted() {
    assertThat(OwnerSocket.sameUserOrRoot("ci", "ci", 1001)).isTrue();
    assertThat(OwnerSocket.sameUserOrRoot("root", "ci", 1001)).isTrue();
    assertThat(OwnerSocket.sameUserOrRoot("1001", "ci", 1001)).as("a user named 1001 is not uid 1001").isFalse();
    assertThat(OwnerSocket.effectiveUid()).as("read from /proc/self/status").isGreaterThanOrEqualTo(0);
  }

  /** Review finding: the JDK names a uid without a passwd entry by its number, and this process '?'. */
  @Test
  void aUidWithoutAPasswdEntryIsItsOwnUserAndNoOtherUserIsTrusted() {
    assertThat(OwnerSocket.sameUserOrRoot("1000650000", "?", 1000650000)).isTrue();
    assertThat(OwnerSocket.sameUserOrRoot("?", "?", 1000650000)).isFalse();
    assertThat(OwnerSocket.sameUserOrRoot("1000650001", "?", 1000650000)).isFalse();
    assertThat(OwnerSocket.sameUserOrRoot("other", "ci", 1001)).isFalse();
    assertThat(OwnerSocket.sameUserOrRoot("10010", "ci", 1001)).isFalse();
    assertThat(OwnerSocket.sameUserOrRoot("1000650000", "?", -1)).as("no uid known").isFalse();
  }
}
