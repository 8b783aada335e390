package io.jenkins.plugins.taskbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Folder rules of the global configuration, resolved for one item; plain JUnit, no Jenkins. */
class FolderRulesTest {
  private static final List<FolderRules.Rule> RULES = List.of(
      new FolderRules.Rule("team-a", "team-a-agent", false),
      new FolderRules.Rule("team-a/regulated/", "regulated-agent", true),
      new FolderRules.Rule("team-b", null, true));

  @Test
  void theNearestFolderWithAProfileSetsItAndAnAncestorsRequirementStillHolds() {
    FolderRules.Resolved deep = FolderRules.forItem("team-a/regulated/fix-bot", RULES, false);
    FolderRules.Resolved shallow = FolderRules.forItem("team-a/fix-bot", RULES, false);

    assertEquals("regulated-agent", deep.profile());
    assertEquals("team-a/regulated", deep.profileFolder());
    assertTrue(deep.requireEnvelope());
    assertEquals("team-a-agent", shallow.profile());
    assertFalse(shallow.requireEnvelope());
  }

  @Test
  void aFolderNamePrefixIsNotAnAncestorAndTheGlobalSwitchAppliesEverywhere() {
    FolderRules.Resolved other = FolderRules.forItem("team-ab/job", RULES, false);
    FolderRules.Resolved top = FolderRules.forItem("job", RULES, true);

    assertNull(other.profile());
    assertFalse(other.requireEnvelope());
    assertTrue(top.requireEnvelope());
    assertTrue(FolderRules.forItem("team-b/x", RULES, false).requireEnvelope());
  }

  @Test
  void theJobMayNotPickAnotherProfileThanItsFoldersButMayLeaveItOutOrRepeatIt() {
    FolderRules.Resolved resolved = FolderRules.forItem("team-a/fix-bot", RULES, false);

    assertEquals("team-a-agent", FolderRules.profile(resolved, null));
    assertEquals("team-a-agent", FolderRules.profile(resolved, "team-a-agent"));
    IllegalArgumentException refused =
        assertThrows(IllegalArgumentException.class, () -> FolderRules.profile(resolved, "unrestricted"));
    assertTrue(refused.getMessage().contains("'unrestricted' is refused"), refused.getMessage());
    assertTrue(refused.getMessage().contains("team-a"), refused.getMessage());
    assertEquals("mine", FolderRules.profile(FolderRules.forItem("elsewhere/job", RULES, false), "mine"));
  }
}
