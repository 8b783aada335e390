package io.jenkins.plugins.taskbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;
import org.jvnet.hudson.test.JenkinsRule;
import org.jvnet.hudson.test.junit.jupiter.WithJenkins;

@WithJenkins
class TaskboundGlobalConfigurationTest {

  private static final String CEILING =
      "apiVersion: taskbound.dev/v1\nkind: Policy\negress:\n  allow:\n    - api.github.com\n";

  @Test
  void keepsCeilingPolicyThroughTheConfigFormAndOnDisk(JenkinsRule r) throws Exception {
    TaskboundGlobalConfiguration.get().setCeilingPolicy(CEILING);

    r.configRoundtrip();

    assertEquals(CEILING, TaskboundGlobalConfiguration.get().getCeilingPolicy());
    assertEquals(CEILING, new TaskboundGlobalConfiguration().getCeilingPolicy());
  }

  @Test
  void clearsCeilingPolicyWhenBlankAndNormalisesLineEnds(JenkinsRule r) {
    TaskboundGlobalConfiguration config = TaskboundGlobalConfiguration.get();

    config.setCeilingPolicy("a: 1\r\nb: 2\r\n");
    String normalised = config.getCeilingPolicy();
    config.setCeilingPolicy("  \n");

    assertEquals("a: 1\nb: 2\n", normalised);
    assertNull(config.getCeilingPolicy());
  }
}
