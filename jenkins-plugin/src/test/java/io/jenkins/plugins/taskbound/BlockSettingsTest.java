package io.jenkins.plugins.taskbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The settings the Pipeline step and the freestyle wrapper share: normalised, checked and translated once. */
class BlockSettingsTest {
  @Test
  void blankTextIsUnsetAndTextIsStripped() {
    BlockSettings s = new BlockSettings();

    s.profile("  coding-agent ");
    s.ttl("   ");
    s.image("");

    assertEquals("coding-agent", s.profile());
    assertNull(s.ttl());
    assertNull(s.image());
    assertTrue(s.archive(), "bundles are archived unless turned off");
  }

  @Test
  void policyFilesAreSplitOnCommasElseTheDefault() {
    BlockSettings s = new BlockSettings();
    assertEquals(List.of(BlockSettings.DEFAULT_POLICY), s.policyFiles());

    s.policy("org.yml, taskbound/policy.yml,, ");

    assertEquals(List.of("org.yml", "taskbound/policy.yml"), s.policyFiles());
  }

  @Test
  void anUnknownSandboxIsRefusedListingTheAcceptedOnes() {
    BlockSettings s = new BlockSettings();
    s.sandbox("vm");

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, s::check);

    assertEquals("taskbound: 'sandbox' is 'vm': accepted values are netns, container, proxy, or leave it out for the"
        + " policy's choice", e.getMessage());
  }

  @Test
  void anImageWithAnotherSandboxIsRefusedForBothHosts() {
    BlockSettings s = new BlockSettings();
    s.sandbox("netns");
    s.image("node:22-bookworm");

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, s::check);

    assertEquals("taskbound: 'image' is set but 'sandbox' is 'netns': the image is only used by the container sandbox;"
        + " set sandbox: 'container' or leave image out", e.getMessage());
  }

  @Test
  void checkReturnsTheParsedApprovers() {
    BlockSettings s = new BlockSettings();
    s.approvers("alice, security-reviewers");

    assertEquals(List.of("alice", "security-reviewers"), s.check());
  }

  @Test
  void translatesToTheCoresCommandLineWithTheProfileTheHostChose() {
    BlockSettings s = new BlockSettings();
    s.policy("org.yml, task.yml");
    s.profile("asked-for");
    s.sandbox("container");
    s.image("node:22-bookworm");
    s.ttl("45m");

    EnvelopeCommand c = s.command("java", "tb.jar", "FIX-1", "/ws@tmp/c.yml", "folder-profile", "/ws/ev");

    assertEquals(new EnvelopeCommand("java", "tb.jar", "FIX-1", List.of("org.yml", "task.yml"), "/ws@tmp/c.yml",
        "folder-profile", "container", "node:22-bookworm", "45m", "/ws/ev"), c);
  }
}
