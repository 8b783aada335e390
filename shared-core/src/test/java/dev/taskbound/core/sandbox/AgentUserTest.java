package dev.taskbound.core.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.taskbound.core.testing.AgentOwner;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Review finding F5 (issue 11): a workspace chowned to the CI user but left in group root gave
 * the agent gid 0; the owner's primary group, or nogroup, is used instead.
 */
class AgentUserTest {
  @TempDir Path dir;

  @Test
  void aWorkspaceInGroupRootGivesTheAgentTheOwnersPrimaryGroupNotRoot() throws Exception {
    assumeThat(AgentOwner.root()).as("chown needs root").isTrue();
    Path ws = Files.createDirectories(dir.resolve("ws"));
    Files.setAttribute(ws, "unix:uid", 61113);
    Files.setAttribute(ws, "unix:gid", 0);
    Path passwd = Files.writeString(dir.resolve("passwd"), "ci:x:61113:1200::/home/ci:/bin/sh\n");

    assertThat(AgentUser.ownerOf(ws, passwd).gid()).isEqualTo(1200);
  }

  @Test
  void anOwnerWithoutAnAccountOrWithGroupRootGetsNogroup() throws Exception {
    assumeThat(AgentOwner.root()).as("chown needs root").isTrue();
    Path ws = Files.createDirectories(dir.resolve("ws"));
    Files.setAttribute(ws, "unix:uid", 61113);
    Files.setAttribute(ws, "unix:gid", 0);

    assertThat(AgentUser.ownerOf(ws, Files.writeString(dir.resolve("none"), "")).gid()).isEqualTo(AgentUser.NOGROUP);
    assertThat(AgentUser.ownerOf(ws, Files.writeString(dir.resolve("rootgroup"), "ci:x:61113:0::/:/bin/sh\n")).gid())
        .isEqualTo(AgentUser.NOGROUP);
  }

  @Test
  void aWorkspaceInAnotherGroupKeepsIt() throws Exception {
    assumeThat(AgentOwner.root()).as("chown needs root").isTrue();
    Path ws = Files.createDirectories(dir.resolve("ws"));
    Files.setAttribute(ws, "unix:uid", 61113);
    Files.setAttribute(ws, "unix:gid", 61113);

    assertThat(AgentUser.ownerOf(ws, Files.writeString(dir.resolve("passwd"), "")).gid()).isEqualTo(61113);
  }
}
