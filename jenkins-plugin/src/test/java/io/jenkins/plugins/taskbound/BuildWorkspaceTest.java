package io.jenkins.plugins.taskbound;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * Review finding: {@code withEnv(['WORKSPACE=/elsewhere'])} around a block turned off the hiding of
 * the other builds' workspaces. The session's workspace is now decided from what Jenkins allots the
 * job and the step's directory.
 */
class BuildWorkspaceTest {
  private static final String ALLOTTED = "/srv/agent/workspace/team/app";

  @Test
  void aStepInTheWorkspaceOrInADirUnderItHasTheAllottedWorkspace() {
    assertEquals(ALLOTTED, BuildWorkspace.around(ALLOTTED, ALLOTTED));
    assertEquals(ALLOTTED, BuildWorkspace.around(ALLOTTED, ALLOTTED + "/sub/dir"));
    assertEquals(ALLOTTED, BuildWorkspace.around(ALLOTTED + "/", ALLOTTED + "/./sub"));
  }

  @Test
  void aConcurrentBuildHasItsNumberedSibling() {
    assertEquals(ALLOTTED + "@2", BuildWorkspace.around(ALLOTTED, ALLOTTED + "@2"));
    assertEquals(ALLOTTED + "@12", BuildWorkspace.around(ALLOTTED, ALLOTTED + "@12/sub"));
  }

  @Test
  void anythingElseIsTheStepsOwnDirectory() {
    assertEquals(ALLOTTED + "@tmp/x", BuildWorkspace.around(ALLOTTED, ALLOTTED + "@tmp/x"));
    assertEquals("/srv/agent/workspace/team/application", BuildWorkspace.around(ALLOTTED, "/srv/agent/workspace/team/application"));
    assertEquals("/srv/agent/workspace/team", BuildWorkspace.around(ALLOTTED, "/srv/agent/workspace/team"));
    assertEquals("/opt/custom", BuildWorkspace.around(ALLOTTED, "/opt/custom"));
    assertEquals("/opt/custom", BuildWorkspace.around(null, "/opt/custom/."));
  }
}
