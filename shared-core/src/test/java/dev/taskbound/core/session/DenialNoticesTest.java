package dev.taskbound.core.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.core.egress.EgressDecision;
import dev.taskbound.core.egress.EgressRule;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Issue 19: the live notice's wording, masking and bounds (the real session run is DenialNoticeTest). */
class DenialNoticesTest {
  private final StringWriter out = new StringWriter();

  private static EgressDecision denied(String host, int port) {
    return new EgressDecision(host, port, false, Optional.empty(), "no allow rule matches");
  }

  @Test
  void aDenyRuleMatchSaysToRemoveItAndWhatToAdd() {
    DenialNotices notices = new DenialNotices(new PrintWriter(out), s -> s);

    notices.onDecision(new EgressDecision("api.test", 443, false, Optional.of(EgressRule.parse("api.test:443")),
        "matches deny rule api.test:443"));

    assertThat(out.toString()).isEqualTo("taskbound: denied api.test:443 — deny rules beat allow rules: to allow it,"
        + " remove \"api.test:443\" from spec.egress.deny and add \"api.test\" to spec.egress.allow\n");
  }

  @Test
  void linesPassTheSessionsMaskerAndHaveControlCharactersEscaped() {
    DenialNotices notices =
        new DenialNotices(new PrintWriter(out), s -> s.replace("tb-secret-value", "***").replace("marker", "mark\u001b[2Jer"));

    notices.onDecision(denied("tb-secret-value.marker.test", 443));

    assertThat(out.toString()).isEqualTo("taskbound: denied ***.mark\\x1b[2Jer.test:443 — to allow it, add"
        + " \"***.mark\\x1b[2Jer.test\" to spec.egress.allow\n");
  }

  @Test
  void allowedDecisionsAndRepeatsPrintNothing() {
    DenialNotices notices = new DenialNotices(new PrintWriter(out), s -> s);

    notices.onDecision(new EgressDecision("ok.test", 443, true, Optional.empty(), "allowed"));
    notices.onDecision(denied("no.test", 443));
    notices.onDecision(denied("no.test", 443));
    notices.onDecision(denied("no.test", 8443));

    assertThat(out.toString().lines()).containsExactly(
        "taskbound: denied no.test:443 — to allow it, add \"no.test\" to spec.egress.allow",
        "taskbound: denied no.test:8443 — to allow it, add \"no.test:8443\" to spec.egress.allow");
  }
}
