package io.jenkins.plugins.taskbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.BiPredicate;
import org.junit.jupiter.api.Test;

/** Issue 16: who may answer a block's approvals on the build page (the {@code input} step's model). */
class ApproverListTest {
  private static final BiPredicate<String, String> CASE_INSENSITIVE = String::equalsIgnoreCase;
  private static final BiPredicate<String, String> CASE_SENSITIVE = String::equals;

  @Test
  void namesAreSplitOnCommasStrippedAndRepeatsAndBlanksDropped() {
    List<String> names = ApproverList.parse(" alice , release-managers,,alice, ");

    assertEquals(List.of("alice", "release-managers"), names);
    assertEquals(List.of(), ApproverList.parse(null));
    assertEquals(List.of(), ApproverList.parse(" , "));
  }

  @Test
  void aNameWithAControlCharacterIsRefusedNamingItsPosition() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ApproverList.parse("alice,bob\nmallory"));

    assertEquals("taskbound: 'approvers' entry 2 holds a control character; accepted: Jenkins user ids and group"
        + " names, separated by commas", e.getMessage());
  }

  @Test
  void withNoNamesAnyoneWhoMayBuildAnswersAndNoOneElse() {
    assertTrue(ApproverList.mayAnswer(List.of(), true, "bob", List.of(), CASE_INSENSITIVE, CASE_SENSITIVE));

    assertFalse(ApproverList.mayAnswer(List.of(), false, "bob", List.of("authenticated"), CASE_INSENSITIVE,
        CASE_SENSITIVE));
  }

  @Test
  void namedApproversReplaceItemBuildForUsersAndGroupMembers() {
    List<String> approvers = ApproverList.parse("alice, security-reviewers");

    boolean builderNotNamed = ApproverList.mayAnswer(approvers, true, "bob", List.of("developers"), CASE_INSENSITIVE,
        CASE_SENSITIVE);
    boolean namedUser = ApproverList.mayAnswer(approvers, false, "ALICE", List.of(), CASE_INSENSITIVE, CASE_SENSITIVE);
    boolean groupMember = ApproverList.mayAnswer(approvers, false, "carol", List.of("authenticated",
        "security-reviewers"), CASE_INSENSITIVE, CASE_SENSITIVE);
    boolean groupCaseDiffers = ApproverList.mayAnswer(approvers, false, "carol", List.of("Security-Reviewers"),
        CASE_INSENSITIVE, CASE_SENSITIVE);

    assertFalse(builderNotNamed);
    assertTrue(namedUser);
    assertTrue(groupMember);
    assertFalse(groupCaseDiffers);
  }

  @Test
  void thePageSaysWhoMayAnswer() {
    assertEquals("anyone who may build this job", ApproverList.describe(List.of()));
    assertEquals("only alice, security-reviewers (users, or members of these groups)",
        ApproverList.describe(List.of("alice", "security-reviewers")));
  }
}
