package io.jenkins.plugins.taskbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The identity claims a block's session gets from Jenkins; plain JUnit, no Jenkins. */
class JenkinsClaimsTest {
  /** The core's rule for extra claim names (docs/identity.md). */
  private static final Pattern CORE_CLAIM_NAME = Pattern.compile("[a-z][a-z0-9_]{0,63}");

  @Test
  void namesTheControllerJobBuildAndNodeInTheCoresClaimForm() {
    Map<String, String> claims = JenkinsClaims.of("https://ci.example.test/", "team-a/fix-bot", 42, "job/team-a/job/fix-bot/42/",
        "linux-7");

    assertEquals(Map.of("ci", "jenkins", "jenkins_url", "https://ci.example.test/", "jenkins_job", "team-a/fix-bot",
        "jenkins_build_number", "42", "jenkins_build_url", "https://ci.example.test/job/team-a/job/fix-bot/42/",
        "jenkins_node", "linux-7"), claims);
    assertTrue(claims.keySet().stream().allMatch(n -> CORE_CLAIM_NAME.matcher(n).matches()), claims.keySet().toString());
    assertEquals(List.of("--claim", "ci=jenkins", "--claim", "jenkins_url=https://ci.example.test/"),
        JenkinsClaims.options(claims).subList(0, 4));
  }

  @Test
  void leavesOutWhatTheControllerDoesNotKnow() {
    Map<String, String> claims = JenkinsClaims.of(null, "job", 1, "job/job/1/", null);

    assertEquals(Map.of("ci", "jenkins", "jenkins_job", "job", "jenkins_build_number", "1"), claims);
  }
}
