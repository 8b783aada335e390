package io.jenkins.plugins.taskbound;

import static org.junit.jupiter.api.Assertions.assertEquals;

import hudson.util.XStream2;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The build's record of a block survives a controller restart: Jenkins writes the action into
 * build.xml with XStream and reads it back, which it cannot do for records (jenkinsci/jenkins#26077):
 * the backstop lost the session to end, the build page the recorded kid (review finding).
 */
class TaskboundActionPersistenceTest {
  @Test
  void theSessionTheKidAndTheFactsAreReadBackFromBuildXml() {
    TaskboundAction action = new TaskboundAction("id-1", "FIX-7", "agent-1", "/w/taskbound-evidence");
    action.sessionOpened(new SessionHandle("/srv/sessions/s1"),
        new SessionOpening("s1", "spiffe://taskbound.local/task/FIX-7/s1", "kid-1"), "/usr/bin/java", "/srv/taskbound.jar");
    action.sealed("FIX-7-s1.zip", new EvidenceFacts("succeeded", "0", 2, 1, 1, 1, 0), 0, "verified");
    XStream2 xstream = new XStream2();

    TaskboundAction back = (TaskboundAction) xstream.fromXML(xstream.toXML(action));

    assertEquals("/srv/sessions/s1", back.getSession());
    assertEquals("kid-1", back.getKid());
    assertEquals("spiffe://taskbound.local/task/FIX-7/s1", back.getSpiffeId());
    assertEquals("succeeded", back.getFacts().outcome());
    assertEquals(2, back.getFacts().commands());
    assertEquals(List.of("/usr/bin/java", "-jar", "/srv/taskbound.jar", "session", "end", "--session", "/srv/sessions/s1"),
        back.pendingSessionEnd());
  }

  /** Review finding: a build.xml written when the handle was a record read back as whitespace and stopped the backstop. */
  @Test
  void aHandleRecordedAsARecordBeforeIsDroppedNotThrownOnByTheBackstop() {
    XStream2 xstream = new XStream2();
    String old = xstream.toXML(new TaskboundAction("id-1", "FIX-7", "agent-1", "/w/taskbound-evidence"))
        .replace("</evidenceDir>", "</evidenceDir>\n  <session>\n    <path>/srv/sessions/s1</path>\n  </session>"
            + "\n  <java>/usr/bin/java</java>\n  <jar>/srv/taskbound.jar</jar>");

    TaskboundAction back = (TaskboundAction) xstream.fromXML(old);

    assertEquals(null, back.pendingSessionEnd());
    assertEquals(null, back.getSession());
  }
}
